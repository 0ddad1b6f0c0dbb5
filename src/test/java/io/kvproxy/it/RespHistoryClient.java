package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Redis client over a raw socket that pipelines a few commands per write: SET, DEL (one key or
 * several of its own, over servers), INCR/INCRBY, MSET of several of its own keys, GET and MGET of random
 * keys. {@link Mode#RESP} sends RESP arrays, {@link Mode#INLINE} the same commands as inline lines (as
 * typed into telnet). Replies are RESP either way, and must come in request order, each of the shape its
 * command asks for.
 *
 * <p>A split command's reply is the proxy's promise for all its keys at once: MSET's {@code +OK} means
 * every key was set, DEL's integer that every key is gone; an error promises nothing for any key (some
 * parts may have applied), so each of its keys is a write of unknown outcome. MGET's values are reads
 * of their own keys, all ended when the reply came.
 */
final class RespHistoryClient extends HistoryClient {

    enum Mode { RESP, INLINE }

    /** One key's share of a command: a write with its seq and value, or a read. */
    private record Step(Kind kind, String key, long seq, String value) {
    }

    /** One command: its steps, in its key order, and its words on the wire. */
    private record Command(String name, List<Step> steps, List<String> words) {
    }

    private final Mode mode;

    RespHistoryClient(String name, Mode mode, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
        this.mode = mode;
    }

    @Override
    void runBatches() {
        Socket socket = null;
        RespReplies replies = null;
        while (running.get()) {
            List<Command> batch = plan(2 + random.nextInt(4));
            long invoke = System.nanoTime();
            int answered = 0;
            try {
                if (socket == null) {
                    socket = connect(port);
                    replies = new RespReplies(socket.getInputStream());
                }
                StringBuilder wire = new StringBuilder();
                batch.forEach(command -> wire.append(mode == Mode.RESP ? resp(command.words()) : inline(command.words())));
                invoke = System.nanoTime();
                socket.getOutputStream().write(wire.toString().getBytes(StandardCharsets.ISO_8859_1));
                for (Command command : batch) {
                    settle(command, replies.read(), invoke);
                    answered++;
                }
            } catch (IOException e) {
                Command first = batch.get(Math.min(answered, batch.size() - 1));
                history.anomaly(name, first.steps().get(0).key(), answered + " of " + batch.size() + " commands answered, then " + e);
                for (Command command : batch.subList(answered, batch.size())) {
                    for (Step step : command.steps()) {
                        record(step.kind(), step.key(), step.seq(), step.value(), invoke, step.kind() == Kind.READ ? Outcome.ERROR : Outcome.NO_REPLY);
                    }
                }
                close(socket);
                socket = null;
            }
        }
        close(socket);
    }

    private List<Command> plan(int count) {
        List<Command> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int pick = random.nextInt(10);
            if (pick < 4) {
                batch.add(write(randomOwnKey()));
            } else if (pick < 6) {
                batch.add(multiWrite());
            } else if (pick < 7) {
                String key = randomKeys(1).get(0);
                batch.add(new Command("GET", List.of(new Step(Kind.READ, key, 0, null)), List.of("GET", key)));
            } else {
                List<Step> steps = new ArrayList<>();
                List<String> words = new ArrayList<>(List.of("MGET"));
                for (String key : randomKeys(2 + random.nextInt(5))) {
                    steps.add(new Step(Kind.READ, key, 0, null));
                    words.add(key);
                }
                batch.add(new Command("MGET", steps, words));
            }
        }
        return batch;
    }

    /** A SET or DEL of a register, an INCR/INCRBY of a counter, or the SET of a new base for a counter that lost its key. */
    private Command write(KeySpec spec) {
        long seq = nextSeq();
        String key = spec.key();
        if (spec.kind() == KeyKind.REGISTER && random.nextInt(4) == 0) {
            return new Command("DEL", List.of(new Step(Kind.DELETE, key, seq, null)), List.of("DEL", key));
        }
        if (spec.kind() == KeyKind.REGISTER || needsReset.remove(key)) {
            String value = spec.kind() == KeyKind.REGISTER ? valueFor(seq) : Long.toString(History.counterBase(spec.kind(), seq));
            return new Command("SET", List.of(new Step(Kind.SET, key, seq, value)), List.of("SET", key, value));
        }
        int by = 1 + random.nextInt(5);
        return new Command("INCR", List.of(new Step(Kind.INCR, key, seq, null)),
                by == 1 ? List.of("INCR", key) : List.of("INCRBY", key, Integer.toString(by)));
    }

    /** MSET or DEL of two to four of its own registers, which the proxy splits over their servers. */
    private Command multiWrite() {
        List<KeySpec> registers = ownKeys.stream().filter(spec -> spec.kind() == KeyKind.REGISTER).toList();
        List<KeySpec> chosen = new ArrayList<>();
        for (int n = 2 + random.nextInt(3); chosen.size() < Math.min(n, registers.size()); ) {
            KeySpec spec = registers.get(random.nextInt(registers.size()));
            if (!chosen.contains(spec)) {
                chosen.add(spec);
            }
        }
        boolean delete = random.nextInt(4) == 0;
        List<Step> steps = new ArrayList<>();
        List<String> words = new ArrayList<>(List.of(delete ? "DEL" : "MSET"));
        for (KeySpec spec : chosen) {
            long seq = nextSeq();
            String value = delete ? null : valueFor(seq);
            steps.add(new Step(delete ? Kind.DELETE : Kind.SET, spec.key(), seq, value));
            words.add(spec.key());
            if (!delete) {
                words.add(value);
            }
        }
        return new Command(delete ? "DEL" : "MSET", steps, words);
    }

    /** Records {@code command}'s steps by its {@code reply}; a reply of another shape belongs to another request. */
    private void settle(Command command, RespReplies.Reply reply, long invoke) throws IOException {
        if (reply.isError()) {
            if (!isFailure(reply)) {
                throw new WrongReply(command.words() + " answered \"" + reply + "\"");
            }
            for (Step step : command.steps()) {
                record(step.kind(), step.key(), step.seq(), step.value(), invoke, Outcome.ERROR);
            }
            return;
        }
        switch (command.name()) {
            case "GET" -> recordMultiGet(List.of(command.steps().get(0).key()), values(command, List.of(reply)), invoke);
            case "MGET" -> recordMultiGet(command.words().subList(1, command.words().size()), values(command, reply.items()), invoke);
            case "INCR" -> {
                Step step = command.steps().get(0);
                WriteReply done = reply.type() == ':' ? WriteReply.DONE : WriteReply.OTHER;
                recordWrite(Kind.INCR, step.key(), step.seq(), null, false, done, reply.type() == ':' ? reply.text() : null, invoke,
                        reply.toString());
            }
            default -> {
                // SET and MSET answer +OK, DEL an integer: the number of keys it found, which says nothing of the history.
                WriteReply done = (command.name().equals("DEL") ? reply.type() == ':' : reply.isOk()) ? WriteReply.DONE : WriteReply.OTHER;
                for (Step step : command.steps()) {
                    recordWrite(step.kind(), step.key(), step.seq(), step.value(), false, done, null, invoke, reply.toString());
                }
            }
        }
    }

    /** The values of a GET or MGET reply by key (a nil is absent); a reply of the wrong shape is another request's. */
    private static Map<String, String> values(Command command, List<RespReplies.Reply> items) throws WrongReply {
        List<Step> steps = command.steps();
        if (items == null || items.size() != steps.size()) {
            throw new WrongReply(command.words() + " answered " + (items == null ? "no array" : items.size() + " values"));
        }
        Map<String, String> hits = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            RespReplies.Reply item = items.get(i);
            if (item.type() != '$') {
                throw new WrongReply(command.words() + " answered \"" + item + "\" for " + steps.get(i).key());
            }
            if (item.text() != null) {
                hits.put(steps.get(i).key(), item.text());
            }
        }
        return hits;
    }

    /**
     * The errors the proxy answers when a server failed or a backup did not take a synchronous write (and
     * a restarted server's own while it loads): the write's outcome is unknown. Any other error is a
     * reply to some other request.
     */
    static boolean isFailure(RespReplies.Reply error) {
        String text = error.text();
        return text.startsWith("ERR Connection ") || text.equals("ERR backup write failed") || text.startsWith("LOADING");
    }

    private static String resp(List<String> words) {
        StringBuilder wire = new StringBuilder("*").append(words.size()).append("\r\n");
        for (String word : words) {
            wire.append('$').append(word.length()).append("\r\n").append(word).append("\r\n");
        }
        return wire.toString();
    }

    private static String inline(List<String> words) {
        return String.join(" ", words) + "\r\n";
    }

    /** What a server (or the proxy) holds for {@code keys}, by one MGET on a fresh connection; null on an error reply. */
    static Map<String, String> readOrError(int port, List<String> keys) throws IOException {
        try (Socket socket = connect(port)) {
            List<String> words = new ArrayList<>(List.of("MGET"));
            words.addAll(keys);
            socket.getOutputStream().write(resp(words).getBytes(StandardCharsets.ISO_8859_1));
            RespReplies.Reply reply = new RespReplies(socket.getInputStream()).read();
            if (reply.isError()) {
                return null;
            }
            List<Step> steps = keys.stream().map(key -> new Step(Kind.READ, key, 0, null)).toList();
            return values(new Command("MGET", steps, words), reply.items());
        }
    }

    /** RESP2 replies read whole, one at a time. */
    static final class RespReplies {

        /** One reply: its type byte, its text (a simple string, an error, an integer or a bulk; null for a nil), an array's items. */
        record Reply(char type, String text, List<Reply> items) {
            boolean isError() {
                return type == '-';
            }

            boolean isOk() {
                return type == '+' && text.equals("OK");
            }

            @Override
            public String toString() {
                return type == '*' ? "*" + items : type + (text == null ? "nil" : text);
            }
        }

        private final TextReplies in;

        RespReplies(InputStream in) {
            this.in = new TextReplies(in);
        }

        Reply read() throws IOException {
            String line = in.line();
            char type = line.isEmpty() ? ' ' : line.charAt(0);
            String rest = line.substring(Math.min(1, line.length()));
            switch (type) {
                case '+', '-', ':' -> {
                    return new Reply(type, rest, null);
                }
                case '$' -> {
                    int length = number(rest);
                    return new Reply('$', length < 0 ? null : in.data(length), null);
                }
                case '*' -> {
                    int count = number(rest);
                    List<Reply> items = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        items.add(read());
                    }
                    return new Reply('*', null, count < 0 ? null : items);
                }
                default -> throw new WrongReply("a reply that is no RESP: \"" + line + "\"");
            }
        }

        private static int number(String text) throws WrongReply {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new WrongReply("bad length \"" + text + "\"");
            }
        }
    }
}
