package io.kvproxy.redis;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;

/**
 * The replies the proxy makes itself, with the words of the server a client expects there: PING, ECHO,
 * QUIT and CLIENT SETINFO as redis-server answers them; an unknown command as redis-server 7 words it;
 * authentication, and a server that failed or did not answer, as twemproxy words them; too many clients
 * as redis-server. Written straight into the client's output, allocating nothing. Stateless.
 */
public final class ProxyReplies {

    public static final String PONG = "+PONG";
    public static final String OK = "+OK";
    /** twemproxy 0.5's words (redis-server ends its own with a period). */
    public static final String NOAUTH = "-NOAUTH Authentication required";
    public static final String MAX_CLIENTS = "-ERR max number of clients reached";
    /** A backend that did not answer within recv_timeout: twemproxy's strerror(ETIMEDOUT). */
    public static final String TIMED_OUT = "-ERR Connection timed out";
    /** A backend that could not be reached or was out of the ring: twemproxy's strerror(ECONNREFUSED). */
    public static final String REFUSED = "-ERR Connection refused";
    /** A write whose key is replicated synchronously (sync_str) that the backup did not take. */
    public static final String BACKUP_FAILED = "-ERR backup write failed";

    /** CLIENT with any subcommand but SETINFO: the connection's state is the proxy's, not a server's. */
    public static final String CLIENT_REFUSED = "-ERR unsupported command 'client': " + RedisCommand.Refusal.CONNECTION.reason();

    /** redis-server quotes at most this much of an unknown command's name, and of its arguments together. */
    private static final int QUOTED_BYTES = 128;
    private static final byte[] UNKNOWN = "-ERR unknown command '".getBytes(US_ASCII);
    private static final byte[] WITH_ARGS = "', with args beginning with: ".getBytes(US_ASCII);
    private static final byte[] LIB_NAME = "LIB-NAME".getBytes(US_ASCII);
    private static final byte[] LIB_VER = "LIB-VER".getBytes(US_ASCII);
    private static final byte[] UNRECOGNIZED_OPTION = "-ERR Unrecognized option '".getBytes(US_ASCII);
    private static final byte[] QUOTE_END = "'\r\n".getBytes(US_ASCII);
    private static final byte[] ERR = "-ERR ".getBytes(US_ASCII);
    private static final byte[] NOT_PRINTABLE = " cannot contain spaces, newlines or special characters.\r\n".getBytes(US_ASCII);

    private ProxyReplies() {
    }

    /** The error a client gets for a request its server did not answer. */
    public static String failure(BackendFailure failure) {
        return failure == BackendFailure.TIMEOUT ? TIMED_OUT : REFUSED;
    }

    /** PING: {@code +PONG}, or its one argument as a bulk string. The caller has checked the arity. */
    public static void writePing(Buffer out, Buffer in, RedisRequest request) {
        if (request.argCount() == 1) {
            RespWriter.writeLine(out, PONG);
        } else {
            RespWriter.writeArgument(out, in, request, 1);
        }
    }

    /** ECHO: its argument as a bulk string. */
    public static void writeEcho(Buffer out, Buffer in, RedisRequest request) {
        RespWriter.writeArgument(out, in, request, 1);
    }

    /**
     * redis-server 7's reply to a command it does not know: {@code -ERR unknown command '<name>', with
     * args beginning with: '<arg>' '<arg>' }, the name cut at 128 bytes, each argument quoted while less
     * than 128 bytes of them have been and cut to what is left of those 128; a NUL ends a name or an
     * argument, and CR and LF become spaces, as in its C strings and its one-line errors.
     */
    public static void writeUnknownCommand(Buffer out, Buffer in, RedisRequest request) {
        out.put(UNKNOWN);
        quote(out, in, request.argIndex(in, 0), request.argLength(0), QUOTED_BYTES);
        out.put(WITH_ARGS);
        int quoted = 0;
        for (int arg = 1; arg < request.argCount() && quoted < QUOTED_BYTES; arg++) {
            out.put((byte) '\'');
            int written = quote(out, in, request.argIndex(in, arg), request.argLength(arg), QUOTED_BYTES - quoted);
            out.put((byte) '\'').put((byte) ' ');
            quoted += written + 3;
        }
        out.put((byte) '\r').put((byte) '\n');
    }

    /**
     * CLIENT SETINFO, as redis-server 7.2 answers it: {@code +OK} for LIB-NAME or LIB-VER (any case) with
     * a value of printable ASCII and no spaces, its errors otherwise. Jedis, redis-py, go-redis and Lettuce
     * send it on every new connection; the proxy has no CLIENT LIST to show it in, so it keeps nothing.
     * Returns whether the reply is {@code +OK}.
     */
    public static boolean writeClientSetinfo(Buffer out, Buffer in, RedisRequest request) {
        if (request.argCount() != 4) {
            RespWriter.writeLine(out, "-ERR wrong number of arguments for 'client|setinfo' command");
            return false;
        }
        int attribute = request.argIndex(in, 2);
        int attributeLength = request.argLength(2);
        if (!request.argEqualsIgnoreCase(in, 2, LIB_NAME) && !request.argEqualsIgnoreCase(in, 2, LIB_VER)) {
            out.put(UNRECOGNIZED_OPTION);
            quote(out, in, attribute, attributeLength, QUOTED_BYTES);
            out.put(QUOTE_END);
            return false;
        }
        int value = request.argIndex(in, 3);
        for (int i = 0; i < request.argLength(3); i++) {
            byte b = in.get(value + i);
            if (b < '!' || b > '~') {
                out.put(ERR);
                quote(out, in, attribute, attributeLength, QUOTED_BYTES);
                out.put(NOT_PRINTABLE);
                return false;
            }
        }
        RespWriter.writeLine(out, OK);
        return true;
    }

    /**
     * Whether the reply at {@code offset} is an error that means the server cannot serve now (it is
     * loading its data set, a script keeps it busy, it is out of memory): a failure of the server for
     * ejection, not an answer about the key.
     */
    public static boolean isServerFailure(Buffer in, int offset, int length) {
        return RespReplyFramer.isServerFailureReply(in, offset, length);
    }

    /** Copies up to {@code limit} bytes of an argument as redis-server's %.*s would; returns how many. */
    private static int quote(Buffer out, Buffer in, int index, int length, int limit) {
        int count = Math.min(length, limit);
        for (int i = 0; i < count; i++) {
            byte b = in.get(index + i);
            if (b == 0) {
                return i;
            }
            out.put(b == '\r' || b == '\n' ? (byte) ' ' : b);
        }
        return count;
    }
}
