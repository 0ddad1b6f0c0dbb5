package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.BackendHandshake;
import io.kvproxy.redis.ProxyReplies;
import io.kvproxy.redis.RedisSettings;
import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.command.RedisCommand.Merge;
import io.kvproxy.redis.command.SplitReplyMerge;
import io.kvproxy.redis.resp.FramingReceiver;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis extension's pieces against real redis-server processes: the replies the proxy makes itself
 * are the bytes redis-server sends for the same input (and it closes where redis-server closes); the
 * framer frames real replies, large and nested, pipelined; the handshake is taken by a server with a
 * password; a split MGET and DEL merged from two servers are what one server would answer.
 */
@Timeout(120)
class RedisParityIT {

    private static final String PING = "*1\r\n$4\r\nPING\r\n";

    /** One client connection to a server, reading replies with the extension's own framer. */
    private static final class Connection implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream input;
        final Buffer in = new Buffer(1024, 64 * 1024);
        final RespReplyFramer framer = new RespReplyFramer();
        final byte[] chunk = new byte[16 * 1024];
        /** The frames of the last reply read. */
        final List<String> frames = new ArrayList<>();

        Connection(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            input = socket.getInputStream();
        }

        void send(String request) throws IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(Buffer request) throws IOException {
            byte[] bytes = new byte[request.readable()];
            request.raw().get(request.readIndex(), bytes);
            socket.getOutputStream().write(bytes);
        }

        /** The next whole reply; null when the server closed the connection first. */
        String reply(boolean valueByValue) throws Exception {
            frames.clear();
            StringBuilder reply = new StringBuilder();
            int expectation = framer.expectation(new FramingReceiver(valueByValue));
            while (true) {
                int length = framer.frame(in, expectation);
                if (length > 0) {
                    String frame = in.toString(in.readIndex(), length);
                    frames.add(frame);
                    reply.append(frame);
                    in.skip(length);
                    if (framer.endsReply()) {
                        return reply.toString();
                    }
                    continue;
                }
                int read = input.read(chunk);
                if (read < 0) {
                    return null;
                }
                in.compact();
                in.put(chunk, 0, read);
            }
        }

        /** Whether the server closed the connection (rather than leaving it open for more). */
        boolean closedByServer() throws IOException {
            try {
                return input.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * What the proxy answers to {@code stream} from its own pieces (parser, table, replies), for input it
     * answers itself; "closed" last when it closes the connection.
     */
    private static List<String> proxyAnswers(String stream, boolean authRequired) {
        Buffer in = new Buffer(1024, 1 << 20);
        in.put(stream.getBytes(StandardCharsets.ISO_8859_1));
        RedisRequestParser parser = new RedisRequestParser();
        parser.authenticationRequired(authRequired);
        RedisRequest request = new RedisRequest();
        List<String> answers = new ArrayList<>();
        while (true) {
            RedisRequest.Outcome outcome = parser.parse(in, request);
            if (outcome == RedisRequest.Outcome.NEED_MORE) {
                return answers;
            }
            Buffer out = new Buffer(256, 1 << 16);
            boolean close = false;
            if (outcome == RedisRequest.Outcome.ERROR) {
                RespWriter.writeLine(out, request.error());
                close = request.closeAfterError();
            } else {
                RedisCommand command = RedisCommand.lookup(in, request.argIndex(in, 0), request.argLength(0));
                if (command == null) {
                    ProxyReplies.writeUnknownCommand(out, in, request);
                } else if (!command.acceptsArgCount(request.argCount())) {
                    RespWriter.writeLine(out, command.arityError());
                } else if (command == RedisCommand.PING) {
                    ProxyReplies.writePing(out, in, request);
                } else if (command == RedisCommand.ECHO) {
                    ProxyReplies.writeEcho(out, in, request);
                } else if (command == RedisCommand.QUIT) {
                    RespWriter.writeLine(out, ProxyReplies.OK);
                    close = true;
                } else {
                    throw new AssertionError("not answered by the proxy: " + command);
                }
            }
            answers.add(out.toString(out.readIndex(), out.readable()));
            in.skip(request.length());
            if (close) {
                answers.add("closed");
                return answers;
            }
        }
    }

    /**
     * What redis-server answers to {@code stream}: as many replies as the proxy gave, then "closed" if it
     * closed the connection. Whether it did is asked the quick way: a connection expected open must answer
     * a PING; one expected closed must end.
     */
    private static List<String> serverAnswers(int port, String stream, List<String> proxy) throws Exception {
        boolean closeExpected = proxy.contains("closed");
        int replies = proxy.size() - (closeExpected ? 1 : 0);
        try (Connection connection = new Connection(port)) {
            connection.send(stream);
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < replies; i++) {
                String reply = connection.reply(false);
                if (reply == null) {
                    answers.add("closed");
                    return answers;
                }
                answers.add(reply);
            }
            if (closeExpected) {
                if (connection.closedByServer()) {
                    answers.add("closed");
                }
            } else {
                connection.send(PING);
                String pong = connection.reply(false);
                if (!"+PONG\r\n".equals(pong)) {
                    answers.add(pong == null ? "closed" : "then " + pong);
                }
            }
            return answers;
        }
    }

    @Test
    void theProxysOwnRepliesAreRedisServersBytes() throws Exception {
        String[] streams = {
            "GET\r\n", "get a b\r\n", "MSET a\r\n", "MSET a b c\r\n", "MGET\r\n", "DEL\r\n", "EXISTS\r\n", "TOUCH\r\n",
            "EVAL\r\n", "ECHO\r\n", "PING a b\r\n", "PING\r\n", "PING hi\r\n", "ECHO \"\\x41\\n\\q\"\r\n",
            "FOO a b\r\n", "$4\r\n", "*1\r\n$0\r\n\r\n", "f".repeat(150) + " " + "a".repeat(120) + " bbbbbbbbbbbb ccc\r\n",
            "*3\r\n$3\r\nf\ro\r\n$3\r\na\nb\r\n$2\r\nc\u0000\r\n", "*0\r\n*-1\r\n\r\nPING\r\n",
            "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", "*1\r\rX$4\rXPING\r\n",
            "*01\r\n$4\r\nPING\r\n", "*1x\r\n", "*-0\r\n", "*2147483648\r\n", "*1\r\n$-1\r\n", "*1\r\n$04\r\nPING\r\n",
            "*1\r\n$536870913\r\n", "*1\r\n+4\r\n", "PING \"a\r\n", "ECHO 'a'b'\r\n", "PING\r\n*1\r\n:1\r\nPING\r\n",
            "*" + "1".repeat(70_000), "QUIT\r\nPING\r\n", "QUIT x\r\n", "gEt\r\n",
        };
        try (RedisServer redis = RedisServer.start(null)) {
            for (String stream : streams) {
                List<String> proxy = proxyAnswers(stream, false);
                assertEquals(serverAnswers(redis.port(), stream, proxy), proxy, stream.length() > 60 ? stream.substring(0, 60) : stream);
            }
        }
        try (RedisServer redis = RedisServer.start("pw")) {
            for (String stream : new String[] {"*11\r\n" + "$1\r\na\r\n".repeat(11), "*2\r\n$4\r\nAUTH\r\n$16385\r\n"}) {
                List<String> proxy = proxyAnswers(stream, true);
                assertEquals(serverAnswers(redis.port(), stream, proxy), proxy, stream.substring(0, 10));
            }
        }
    }

    @Test
    void realRepliesAreFramedWholeAndInOrderPipelined() throws Exception {
        try (RedisServer redis = RedisServer.start(null); Connection connection = new Connection(redis.port())) {
            StringBuilder push = new StringBuilder("*10002\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n");
            StringBuilder range = new StringBuilder("*10000\r\n");
            for (int i = 0; i < 10000; i++) {
                String value = "element-" + i;
                push.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
                range.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
            }
            String big = "v".repeat(40_000);
            connection.send(push + "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + big.length() + "\r\n" + big + "\r\n"
                    + "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n");
            assertEquals(":10000\r\n", connection.reply(false));
            assertEquals("+OK\r\n", connection.reply(false));
            assertEquals(":1\r\n", connection.reply(false));
            for (boolean valueByValue : new boolean[] {false, true}) {
                connection.send("*4\r\n$6\r\nLRANGE\r\n$4\r\nlist\r\n$1\r\n0\r\n$2\r\n-1\r\n"
                        + "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"
                        + "*4\r\n$4\r\nMGET\r\n$3\r\nbig\r\n$7\r\nmissing\r\n$1\r\nh\r\n"
                        + "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n"
                        + "*4\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n$3\r\nget\r\n$4\r\nmget\r\n"
                        + "*2\r\n$4\r\nLPOP\r\n$7\r\nmissing\r\n"
                        + PING);
                // The list is larger than the framer's 64 KB buffer: it can only have come in parts.
                assertEquals(range.toString(), connection.reply(valueByValue));
                assertTrue(connection.frames.size() > 1);
                if (valueByValue) {
                    assertEquals(10001, connection.frames.size());
                }
                assertEquals("$" + big.length() + "\r\n" + big + "\r\n", connection.reply(valueByValue));
                String mget = connection.reply(valueByValue);
                assertEquals("*3\r\n$" + big.length() + "\r\n" + big + "\r\n$-1\r\n$-1\r\n", mget);
                assertEquals("*2\r\n$1\r\nf\r\n$1\r\nv\r\n", connection.reply(valueByValue));
                String info = connection.reply(valueByValue);
                assertTrue(info.startsWith("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n"), info);
                assertEquals("$-1\r\n", connection.reply(valueByValue));
                assertEquals("+PONG\r\n", connection.reply(valueByValue), "every reply ended where it ends");
            }
        }
    }

    @Test
    void theHandshakeAuthenticatesAndSelectsOnAProtectedServer() throws Exception {
        try (RedisServer redis = RedisServer.start("s3cret"); Connection proxy = new Connection(redis.port());
                Connection wrong = new Connection(redis.port()); Connection check = new Connection(redis.port())) {
            BackendHandshake handshake = new BackendHandshake(redisSettings(Map.of("redis_auth", "s3cret", "redis_db", "3")));
            Buffer out = new Buffer(256, 4096);
            handshake.write(out);
            BackendHandshake.writeProbe(out);
            proxy.send(out);
            for (int i = 0; i < handshake.requestCount(); i++) {
                assertTrue(accepted(proxy.reply(false)), "handshake reply " + i);
            }
            assertTrue(healthy(proxy.reply(false)));
            proxy.send("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n");
            assertEquals("+OK\r\n", proxy.reply(false));
            check.send("*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n");
            assertEquals(List.of("+OK\r\n", "$-1\r\n", "+OK\r\n", "$1\r\n1\r\n"),
                    List.of(check.reply(false), check.reply(false), check.reply(false), check.reply(false)), "the write went to database 3");

            out.clear();
            new BackendHandshake(redisSettings(Map.of("redis_auth", "nope"))).write(out);
            BackendHandshake.writeProbe(out);
            wrong.send(out);
            assertFalse(accepted(wrong.reply(false)));
            assertFalse(healthy(wrong.reply(false)), "a server that refused the password is not healthy");
        }
    }

    private static boolean accepted(String reply) {
        Buffer buffer = new Buffer(64, 4096);
        buffer.put(reply.getBytes(StandardCharsets.ISO_8859_1));
        return BackendHandshake.accepted(buffer, 0, buffer.readable());
    }

    private static boolean healthy(String reply) {
        Buffer buffer = new Buffer(64, 4096);
        buffer.put(reply.getBytes(StandardCharsets.ISO_8859_1));
        return BackendHandshake.healthy(buffer, 0, buffer.readable());
    }

    @Test
    void splitMgetAndDelOverTwoServersAnswerAsOneServerWould() throws Exception {
        try (RedisServer one = RedisServer.start(null); RedisServer two = RedisServer.start(null); RedisServer whole = RedisServer.start(null);
                Connection a = new Connection(one.port()); Connection b = new Connection(two.port()); Connection all = new Connection(whole.port())) {
            Connection[] parts = {a, b};
            // Keys k0..k9 on the part i % 3 == 0 ? 1 : 0 (part 0 met first, as the session numbers them); every third unset.
            int keys = 10;
            int[] partOf = new int[keys];
            for (int i = 0; i < keys; i++) {
                partOf[i] = i % 3 == 0 ? 1 : 0;
                if (i % 4 != 3) {
                    String set = "*3\r\n$3\r\nSET\r\n$2\r\nk" + i + "\r\n$" + (2 + String.valueOf(i).length()) + "\r\nv-" + i + "\r\n";
                    parts[partOf[i]].send(set);
                    all.send(set);
                    assertEquals("+OK\r\n", parts[partOf[i]].reply(false));
                    assertEquals("+OK\r\n", all.reply(false));
                }
            }
            SplitReplyMerge merge = new SplitReplyMerge(new Buffer(new BufferPool(1 << 20), 256, 1 << 16));
            for (String name : new String[] {"MGET", "DEL"}) {
                merge.begin(name.equals("MGET") ? Merge.VALUES : Merge.SUM);
                StringBuilder wholeRequest = new StringBuilder("*" + (keys + 1) + "\r\n$" + name.length() + "\r\n" + name + "\r\n");
                // Part numbers as first met in key order: k0 is on server two, so server two is part 0.
                int[] partNumber = {-1, -1};
                int next = 0;
                for (int i = 0; i < keys; i++) {
                    if (partNumber[partOf[i]] < 0) {
                        partNumber[partOf[i]] = next++;
                    }
                    merge.addKey(partNumber[partOf[i]]);
                    wholeRequest.append("$2\r\nk").append(i).append("\r\n");
                }
                merge.seal();
                Connection[] byPart = new Connection[2];
                byPart[partNumber[0]] = a;
                byPart[partNumber[1]] = b;
                for (int part = 0; part < merge.partCount(); part++) {
                    Buffer request = new Buffer(256, 4096);
                    RespWriter.writeArrayHeader(request, merge.partKeyCount(part) + 1);
                    RespWriter.writeBulk(request, name.getBytes(StandardCharsets.US_ASCII));
                    for (int n = 0; n < merge.partKeyCount(part); n++) {
                        RespWriter.writeBulk(request, ("k" + merge.partKey(part, n)).getBytes(StandardCharsets.US_ASCII));
                    }
                    byPart[part].send(request);
                }
                for (int part = merge.partCount() - 1; part >= 0; part--) {
                    byPart[part].reply(true);
                    for (int f = 0; f < byPart[part].frames.size(); f++) {
                        Buffer frame = new Buffer(64, 4096);
                        frame.put(byPart[part].frames.get(f).getBytes(StandardCharsets.ISO_8859_1));
                        merge.onPartFrame(part, frame, 0, frame.readable(), f == byPart[part].frames.size() - 1);
                    }
                }
                Buffer merged = new Buffer(256, 1 << 16);
                merge.writeReply(merged);
                all.send(wholeRequest.toString());
                assertEquals(all.reply(false), merged.toString(0, merged.readable()), name);
            }
            // A part whose server failed fails the whole reply, with twemproxy's words.
            merge.begin(Merge.VALUES);
            merge.addKey(0);
            merge.addKey(1);
            merge.seal();
            merge.onPartFailure(1, ProxyReplies.failure(BackendFailure.TIMEOUT));
            Buffer frame = new Buffer(64, 4096);
            frame.put("*1\r\n$-1\r\n".getBytes(StandardCharsets.ISO_8859_1));
            merge.onPartFrame(0, frame, 0, 4, false);
            merge.onPartFrame(0, frame, 4, 5, true);
            Buffer merged = new Buffer(256, 4096);
            merge.writeReply(merged);
            assertEquals("-ERR Connection timed out\r\n", merged.toString(0, merged.readable()));
        }
    }

    /** The Redis settings a pool section of these keys gives. */
    private static RedisSettings redisSettings(Map<String, String> keys) {
        java.util.List<io.kvproxy.spi.ExtensionSettings.Setting> list = new java.util.ArrayList<>();
        keys.forEach((key, value) -> list.add(new io.kvproxy.spi.ExtensionSettings.Setting(key, value, 0)));
        return RedisSettings.read(new io.kvproxy.spi.ExtensionSettings(list));
    }
}
