package io.kvproxy.redis;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.resp.RedisInteger;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Buffer;

/**
 * The replica of a write that sets a relative expiry, carrying it as the absolute deadline the proxy
 * computed when it received the master's request. Sent as the client sent it, a relative TTL would be
 * counted again from whenever the backup applies the replica, which is later than the master by the
 * replication lag (seconds, behind a backed-up queue or a stalled server): the backup would then keep,
 * and serve after a failover, a key the master has already expired. redis-server 7 propagates its own
 * replicas the same way (PXAT, PEXPIREAT), for the same reason.
 *
 * <pre>
 *  client sends                                  replica
 *  SET k v [opts] EX s | PX ms [opts]            SET k v [opts] PXAT deadline [opts]
 *  SETEX k s v | PSETEX k ms v                   SET k v PXAT deadline
 *  EXPIRE k s [flag] | PEXPIRE k ms [flag]       PEXPIREAT k deadline [flag]
 *  GETEX k EX s | PX ms                          GETEX k PXAT deadline
 *  RESTORE k ttl payload [opts], ttl &gt; 0        RESTORE k deadline payload [opts] ABSTTL
 * </pre>
 *
 * The other options (NX, XX, GET, the EXPIRE flags, REPLACE, IDLETIME, FREQ) stay as they were, so the
 * backup decides them as the master did. The deadline is {@code now} plus the TTL in milliseconds; a
 * negative EXPIRE gives a deadline in the past, which deletes the key on the backup as it did on the
 * master.
 *
 * <p>A request whose TTL or options redis-server would refuse (not an integer, zero or negative where it
 * must be positive, out of range once made absolute, a syntax error in the options) is not rewritten:
 * the master refuses it, and a refused write is not replicated. Whether redis-server would refuse it is
 * decided here by its own rules (its option parsers and {@code string2ll}), so a rewrite never turns a
 * request the master refuses into one the backup takes, nor the other way round. Every other command,
 * and a write without a relative expiry, is not rewritten either: {@link #write} returns -1 and the
 * caller records the replica as sent.
 *
 * <p>Owner: one session. Writes without allocating.
 */
final class AbsoluteExpiry {

    private static final byte[] SET = bytes("SET");
    private static final byte[] PEXPIREAT = bytes("PEXPIREAT");
    private static final byte[] ABSTTL = bytes("ABSTTL");
    private static final byte[] PXAT_NAME = bytes("PXAT");

    // SET's and GETEX's options, as redis-server's parseExtendedStringArgumentsOrReply names them.
    private static final byte[][] OPTION_NAMES = {
        bytes("NX"), bytes("XX"), bytes("GET"), bytes("KEEPTTL"), bytes("PERSIST"),
        bytes("EX"), bytes("PX"), bytes("EXAT"), bytes("PXAT"),
    };
    private static final int NX = 1;
    private static final int XX = 1 << 1;
    private static final int GET = 1 << 2;
    private static final int KEEPTTL = 1 << 3;
    private static final int PERSIST = 1 << 4;
    private static final int EX = 1 << 5;
    private static final int PX = 1 << 6;
    private static final int EXAT = 1 << 7;
    private static final int PXAT = 1 << 8;
    /** The options that set an expiry; each excludes the others (and KEEPTTL, PERSIST), but not itself. */
    private static final int EXPIRY = EX | PX | EXAT | PXAT;
    /** Where an option is refused: the options already seen that rule it out (redis-server's conditions). */
    private static final int[] EXCLUDED_BY = {
        XX, NX, 0, PERSIST | EXPIRY, KEEPTTL | EXPIRY,
        KEEPTTL | PERSIST | (EXPIRY & ~EX), KEEPTTL | PERSIST | (EXPIRY & ~PX),
        KEEPTTL | PERSIST | (EXPIRY & ~EXAT), KEEPTTL | PERSIST | (EXPIRY & ~PXAT),
    };
    /** The options GETEX takes; SET takes all but PERSIST. */
    private static final int GETEX_OPTIONS = PERSIST | EXPIRY;

    private static final byte[] REPLACE = bytes("REPLACE");
    private static final byte[] IDLETIME = bytes("IDLETIME");
    private static final byte[] FREQ = bytes("FREQ");

    /** {@link #options}' answer when redis-server would answer a syntax error. */
    private static final int SYNTAX_ERROR = -2;
    /** {@link #options}' answer when the options set no relative expiry. */
    private static final int NO_RELATIVE_EXPIRY = -1;

    private final RedisInteger ttl = new RedisInteger();
    /** Set by {@link #options}: milliseconds per unit of the relative expiry it found (1000 for EX, 1 for PX). */
    private long unitMillis;

    /**
     * Writes to {@code out} the replica of {@code request}, a write of {@code command} the proxy received at
     * {@code nowMillis}, with its relative expiry made absolute, and returns the index in {@code out} of
     * the key's bytes. Returns -1, having written nothing, when the request is not to be rewritten.
     */
    int write(Buffer out, Buffer in, RedisRequest request, RedisCommand command, long nowMillis) {
        return switch (command) {
            case SET -> setOrGetex(out, in, request, 3, true, nowMillis);
            case GETEX -> setOrGetex(out, in, request, 2, false, nowMillis);
            case SETEX -> setex(out, in, request, 1000, nowMillis);
            case PSETEX -> setex(out, in, request, 1, nowMillis);
            case EXPIRE -> expire(out, in, request, 1000, nowMillis);
            case PEXPIRE -> expire(out, in, request, 1, nowMillis);
            case RESTORE -> restore(out, in, request, nowMillis);
            default -> -1;
        };
    }

    /** SET k v [options] and GETEX k [options]: the relative option turned into PXAT, in place. */
    private int setOrGetex(Buffer out, Buffer in, RedisRequest request, int first, boolean set, long now) {
        int ttlArg = options(in, request, first, set, null, now);
        if (ttlArg < 0 || deadline(in, request, ttlArg, unitMillis, now) <= 0) {
            return -1;
        }
        RespWriter.writeArrayHeader(out, request.argCount());
        int key = head(out, in, request, null, first);
        options(in, request, first, set, out, now);
        return key;
    }

    /**
     * Reads SET's options (from argument {@code first}, {@code set}) or GETEX's as redis-server does, and
     * returns the argument of the TTL that counts when it is relative ({@link #unitMillis} then says its
     * unit), {@link #NO_RELATIVE_EXPIRY} or {@link #SYNTAX_ERROR}. redis-server reads every TTL option
     * given and keeps the last one's value (it checks only that one: {@code EX abc EX 10} is taken).
     *
     * <p>With {@code out}, the second pass over options found good: writes them to the replica, each EX
     * and PX as PXAT with its deadline from {@code now}. An earlier TTL that is no good (which the backup
     * reads and ignores as the master did) is written as it was.
     */
    private int options(Buffer in, RedisRequest request, int first, boolean set, Buffer out, long now) {
        int allowed = set ? ~PERSIST : GETEX_OPTIONS;
        int seen = 0;
        int last = NO_RELATIVE_EXPIRY;
        int argCount = request.argCount();
        for (int arg = first; arg < argCount; arg++) {
            int option = option(in, request, arg);
            boolean takesValue = (option & EXPIRY) != 0;
            if ((option & allowed) == 0 || (seen & EXCLUDED_BY[Integer.numberOfTrailingZeros(option)]) != 0
                    || (takesValue && arg + 1 == argCount)) {
                return SYNTAX_ERROR;
            }
            seen |= option;
            boolean relative = option == EX || option == PX;
            if (out != null) {
                if (relative) {
                    RespWriter.writeBulk(out, PXAT_NAME);
                } else {
                    RespWriter.writeArgument(out, in, request, arg);
                }
            }
            if (takesValue) {
                arg++;
                last = relative ? arg : NO_RELATIVE_EXPIRY;
                unitMillis = option == EX ? 1000 : 1;
                long deadline = out != null && relative ? deadline(in, request, arg, unitMillis, now) : 0;
                if (deadline > 0) {
                    RespWriter.writeBulkInteger(out, deadline);
                } else if (out != null) {
                    RespWriter.writeArgument(out, in, request, arg);
                }
            }
        }
        return last;
    }

    /** The option argument {@code arg} names, in any case (one bit); 0 for none. */
    private static int option(Buffer in, RedisRequest request, int arg) {
        for (int i = 0; i < OPTION_NAMES.length; i++) {
            if (request.argEqualsIgnoreCase(in, arg, OPTION_NAMES[i])) {
                return 1 << i;
            }
        }
        return 0;
    }

    /** SETEX k s v and PSETEX k ms v, as {@code SET k v PXAT deadline}. */
    private int setex(Buffer out, Buffer in, RedisRequest request, long unit, long now) {
        long deadline = deadline(in, request, 2, unit, now);
        if (deadline <= 0) {
            return -1;
        }
        RespWriter.writeArrayHeader(out, 5);
        int key = head(out, in, request, SET, 1);
        RespWriter.writeArgument(out, in, request, 3);
        RespWriter.writeBulk(out, PXAT_NAME);
        RespWriter.writeBulkInteger(out, deadline);
        return key;
    }

    /**
     * The absolute deadline of a TTL that must be positive (SET's, SETEX's, GETEX's): argument {@code arg}
     * in units of {@code unit} ms from {@code now}; 0 where redis-server answers "invalid expire time" or
     * "not an integer".
     */
    private long deadline(Buffer in, RedisRequest request, int arg, long unit, long now) {
        if (!ttl.parse(in, request.argIndex(in, arg), request.argLength(arg)) || ttl.value() <= 0
                || ttl.value() > Long.MAX_VALUE / unit) {
            return 0;
        }
        long millis = ttl.value() * unit;
        return millis > Long.MAX_VALUE - now ? 0 : millis + now;
    }

    /**
     * EXPIRE k s [flag] and PEXPIRE k ms [flag], as {@code PEXPIREAT k deadline [flag]}. A negative TTL is
     * taken (the key is deleted), so the deadline may be negative; the flags are left for both servers to
     * check.
     */
    private int expire(Buffer out, Buffer in, RedisRequest request, long unit, long now) {
        if (!ttl.parse(in, request.argIndex(in, 2), request.argLength(2))
                || ttl.value() > Long.MAX_VALUE / unit || ttl.value() < Long.MIN_VALUE / unit) {
            return -1;
        }
        long millis = ttl.value() * unit;
        if (millis > Long.MAX_VALUE - now) {
            return -1;
        }
        RespWriter.writeArrayHeader(out, request.argCount());
        int key = head(out, in, request, PEXPIREAT, 1);
        RespWriter.writeBulkInteger(out, millis + now);
        tail(out, in, request, 3);
        return key;
    }

    /**
     * RESTORE k ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] with a TTL in milliseconds (0: none),
     * as {@code RESTORE k deadline payload [options] ABSTTL}.
     */
    private int restore(Buffer out, Buffer in, RedisRequest request, long now) {
        int argCount = request.argCount();
        for (int arg = 4; arg < argCount; arg++) {
            if (request.argEqualsIgnoreCase(in, arg, ABSTTL)) {
                return -1;
            }
            boolean takesValue = request.argEqualsIgnoreCase(in, arg, IDLETIME) || request.argEqualsIgnoreCase(in, arg, FREQ);
            if (takesValue && arg + 1 < argCount) {
                arg++;
            } else if (!request.argEqualsIgnoreCase(in, arg, REPLACE)) {
                return -1;
            }
        }
        if (!ttl.parse(in, request.argIndex(in, 2), request.argLength(2)) || ttl.value() <= 0
                || ttl.value() > Long.MAX_VALUE - now) {
            return -1;
        }
        RespWriter.writeArrayHeader(out, argCount + 1);
        int key = head(out, in, request, null, 1);
        RespWriter.writeBulkInteger(out, ttl.value() + now);
        tail(out, in, request, 3);
        RespWriter.writeBulk(out, ABSTTL);
        return key;
    }

    /**
     * The command name ({@code name}, or the client's when null) and arguments 1 (the key) to {@code to}
     * (exclusive), as sent; returns the index in {@code out} of the key's bytes.
     */
    private static int head(Buffer out, Buffer in, RedisRequest request, byte[] name, int to) {
        if (name == null) {
            RespWriter.writeArgument(out, in, request, 0);
        } else {
            RespWriter.writeBulk(out, name);
        }
        RespWriter.writeArgument(out, in, request, 1);
        int key = out.writeIndex() - 2 - request.argLength(1);
        for (int arg = 2; arg < to; arg++) {
            RespWriter.writeArgument(out, in, request, arg);
        }
        return key;
    }

    /** Arguments {@code from} to the last, as sent. */
    private static void tail(Buffer out, Buffer in, RedisRequest request, int from) {
        for (int arg = from; arg < request.argCount(); arg++) {
            RespWriter.writeArgument(out, in, request, arg);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
