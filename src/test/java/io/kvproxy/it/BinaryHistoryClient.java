package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A binary-protocol client over a raw socket: per write, a few SET / DELETE / INCREMENT / DECREMENT
 * packets of its own keys, a GETKQ multi-get of random keys, then NOOP. Replies are matched by opaque
 * and must come in request order; a quiet GETKQ without a reply before the NOOP is a miss.
 */
final class BinaryHistoryClient extends HistoryClient {

    private record Request(int opcode, Kind kind, String key, long seq, String value, int opaque, byte[] packet) {
        boolean isQuiet() {
            return opcode == BinaryPackets.GETKQ;
        }
    }

    private int nextOpaque = 1;
    /** Requests of the current batch whose reply (or, for a quiet one, the lack of it) is recorded. */
    private int settled;

    BinaryHistoryClient(String name, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
    }

    @Override
    void runBatches() {
        Socket socket = null;
        while (running.get()) {
            List<Request> batch = plan();
            long invoke = System.nanoTime();
            settled = 0;
            try {
                if (socket == null) {
                    socket = connect(port);
                }
                ByteArrayOutputStream wire = new ByteArrayOutputStream();
                batch.forEach(request -> wire.writeBytes(request.packet()));
                invoke = System.nanoTime();
                socket.getOutputStream().write(wire.toByteArray());
                readReplies(batch, socket.getInputStream(), invoke);
            } catch (IOException e) {
                history.anomaly(name, batch.get(Math.min(settled, batch.size() - 1)).key(), settled + " of " + batch.size()
                        + " binary requests settled, then " + e);
                for (Request request : batch.subList(settled, batch.size())) {
                    if (request.opcode() != BinaryPackets.NOOP) {
                        record(request.kind(), request.key(), request.seq(), request.value(), invoke,
                                request.kind() == Kind.READ ? Outcome.ERROR : Outcome.NO_REPLY);
                    }
                }
                close(socket);
                socket = null;
            }
        }
        close(socket);
    }

    private List<Request> plan() {
        List<Request> batch = new ArrayList<>();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            batch.add(write(randomOwnKey()));
        }
        for (String key : randomKeys(1 + random.nextInt(6))) {
            int opaque = nextOpaque++;
            batch.add(new Request(BinaryPackets.GETKQ, Kind.READ, key, 0, null, opaque,
                    BinaryPackets.request(BinaryPackets.GETKQ, new byte[0], key, "", opaque)));
        }
        int opaque = nextOpaque++;
        batch.add(new Request(BinaryPackets.NOOP, Kind.READ, "-", 0, null, opaque,
                BinaryPackets.request(BinaryPackets.NOOP, new byte[0], "", "", opaque)));
        return batch;
    }

    private Request write(KeySpec spec) {
        long seq = nextSeq();
        int opaque = nextOpaque++;
        String key = spec.key();
        if (spec.kind() == KeyKind.REGISTER) {
            if (random.nextInt(4) == 0) {
                return new Request(BinaryPackets.DELETE, Kind.DELETE, key, seq, null, opaque,
                        BinaryPackets.request(BinaryPackets.DELETE, new byte[0], key, "", opaque));
            }
            String value = valueFor(seq);
            return new Request(BinaryPackets.SET, Kind.SET, key, seq, value, opaque,
                    BinaryPackets.request(BinaryPackets.SET, BinaryPackets.flagsAndExpiry(0, 0), key, value, opaque));
        }
        // A missing counter is created at a new base (the initial value), so resets need no second request.
        boolean up = spec.kind() == KeyKind.COUNTER_UP;
        int opcode = up ? BinaryPackets.INCREMENT : BinaryPackets.DECREMENT;
        byte[] extras = BinaryPackets.arithmetic(1 + random.nextInt(5), History.counterBase(spec.kind(), seq), 0);
        return new Request(opcode, up ? Kind.INCR : Kind.DECR, key, seq, null, opaque,
                BinaryPackets.request(opcode, extras, key, "", opaque));
    }

    /** Reads until the NOOP's reply, counting the requests settled in {@link #settled}. */
    private void readReplies(List<Request> batch, InputStream in, long invoke) throws IOException {
        while (settled < batch.size()) {
            BinaryPackets.Reply reply = BinaryPackets.read(in);
            int at = settled;
            while (at < batch.size() && batch.get(at).opaque() != reply.opaque()) {
                at++;
            }
            if (at == batch.size()) {
                throw new WrongReply("reply " + reply + " matches no waiting request (opaque " + reply.opaque() + ")");
            }
            for (; settled < at; settled++) {
                Request skipped = batch.get(settled);
                if (!skipped.isQuiet()) {
                    throw new WrongReply("no reply to opcode 0x" + Integer.toHexString(skipped.opcode()) + " " + skipped.key()
                            + " before the reply to a later request: " + reply);
                }
                record(Kind.READ, skipped.key(), 0, null, invoke, Outcome.MISS);
            }
            settle(batch.get(at), reply, invoke);
            settled = at + 1;
        }
    }

    private void settle(Request request, BinaryPackets.Reply reply, long invoke) throws WrongReply {
        int status = reply.status();
        String key = request.key();
        switch (request.opcode()) {
            case BinaryPackets.NOOP -> {
                if (status != 0) {
                    throw new WrongReply("NOOP answered " + reply);
                }
            }
            case BinaryPackets.GETKQ -> {
                if (status == 0 && !reply.key().equals(key)) {
                    throw new WrongReply("GETKQ " + key + " answered for another key: " + reply);
                }
                record(Kind.READ, key, 0, status == 0 ? reply.value() : null, invoke,
                        status == 0 ? Outcome.VALUE : status == BinaryPackets.KEY_NOT_FOUND ? Outcome.MISS : Outcome.ERROR);
            }
            case BinaryPackets.DELETE -> record(Kind.DELETE, key, request.seq(), null, invoke,
                    status == 0 || status == BinaryPackets.KEY_NOT_FOUND ? Outcome.ACK : Outcome.ERROR);
            case BinaryPackets.SET -> {
                if (status == BinaryPackets.KEY_NOT_FOUND) {
                    throw new WrongReply("SET " + key + " answered " + reply);
                }
                record(Kind.SET, key, request.seq(), request.value(), invoke, status == 0 ? Outcome.ACK : Outcome.ERROR);
            }
            default -> {
                if (status == 0) {
                    byte[] number = reply.value().getBytes(StandardCharsets.ISO_8859_1);
                    if (number.length != 8) {
                        throw new WrongReply(request.kind() + " " + key + " answered " + reply);
                    }
                    record(request.kind(), key, request.seq(), Long.toUnsignedString(ByteBuffer.wrap(number).getLong()), invoke,
                            Outcome.ACK);
                } else {
                    record(request.kind(), key, request.seq(), null, invoke, Outcome.ERROR);
                }
            }
        }
    }
}
