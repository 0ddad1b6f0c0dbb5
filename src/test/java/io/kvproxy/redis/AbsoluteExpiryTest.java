package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.spi.Buffer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replica of every write that takes a relative TTL carries the absolute deadline, and a request
 * redis-server 7.0 would refuse is left as sent (the master refuses it, so it is never replicated). What
 * redis-server takes and refuses here was checked against redis-server 7.0.15 itself.
 */
class AbsoluteExpiryTest {

    private static final long NOW = 1_800_000_000_000L;

    private final AbsoluteExpiry expiry = new AbsoluteExpiry();
    private final RedisRequestParser parser = new RedisRequestParser();
    private final RedisRequest request = new RedisRequest();

    /** The replica of {@code args} (sent as RESP) as its arguments joined by spaces; "as sent" when not rewritten. */
    private String replica(String... args) {
        return replica(resp(args));
    }

    private String replica(String wire) {
        Buffer in = new Buffer(256, 1 << 16);
        in.put(wire.getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(RedisRequest.Outcome.REQUEST, parser.parse(in, request));
        RedisCommand command = RedisCommand.lookup(in, request.argIndex(in, 0), request.argLength(0));
        Buffer out = new Buffer(256, 1 << 16);
        out.put((byte) '#');
        int key = expiry.write(out, in, request, command, NOW);
        if (key < 0) {
            assertEquals(1, out.writeIndex(), "nothing written when not rewritten");
            return "as sent";
        }
        assertTrue(out.regionEquals(key, in, request.argIndex(in, 1), request.argLength(1)), "the key's index is the key's bytes");
        return words(out.toString(1, out.writeIndex() - 1));
    }

    private static String resp(String... args) {
        StringBuilder wire = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            wire.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        return wire.toString();
    }

    /** A RESP request's arguments joined by spaces, after checking its framing. */
    private static String words(String wire) {
        int lineEnd = wire.indexOf("\r\n");
        int count = Integer.parseInt(wire.substring(1, lineEnd));
        int at = lineEnd + 2;
        List<String> args = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            assertEquals('$', wire.charAt(at), "a bulk string at " + at + " of " + wire);
            lineEnd = wire.indexOf("\r\n", at);
            int length = Integer.parseInt(wire.substring(at + 1, lineEnd));
            args.add(wire.substring(lineEnd + 2, lineEnd + 2 + length));
            assertEquals("\r\n", wire.substring(lineEnd + 2 + length, lineEnd + 4 + length));
            at = lineEnd + 4 + length;
        }
        assertEquals(wire.length(), at, "nothing after the request's arguments: " + wire);
        return String.join(" ", args);
    }

    private static long at(long millis) {
        return NOW + millis;
    }

    @Test
    void setWithExOrPxCarriesPxatInTheOptionsPlace() {
        assertEquals("SET k v PXAT " + at(10_000), replica("SET", "k", "v", "EX", "10"));
        assertEquals("SET k v PXAT " + at(1500), replica("SET", "k", "v", "PX", "1500"));
        assertEquals("set k v PXAT " + at(10_000), replica("set", "k", "v", "ex", "10"));
        assertEquals("SeT k v PXAT " + at(10_000), replica("SeT", "k", "v", "eX", "10"));
        assertEquals("SET k v PXAT " + at(7), replica("SET", "k", "v", "pX", "7"));
    }

    @Test
    void setsOtherOptionsStayWhereTheyWereInAnyOrder() {
        assertEquals("SET k v NX PXAT " + at(10_000), replica("SET", "k", "v", "NX", "EX", "10"));
        assertEquals("SET k v PXAT " + at(10_000) + " NX", replica("SET", "k", "v", "EX", "10", "NX"));
        assertEquals("SET k v xx PXAT " + at(5) + " get", replica("SET", "k", "v", "xx", "PX", "5", "get"));
        assertEquals("SET k v GET PXAT " + at(10_000) + " XX", replica("SET", "k", "v", "GET", "EX", "10", "XX"));
        assertEquals("SET k v NX GET PXAT " + at(60_000), replica("SET", "k", "v", "NX", "GET", "EX", "60"));
        assertEquals("SET k v nx nx PXAT " + at(1000), replica("SET", "k", "v", "nx", "nx", "ex", "1"));
    }

    @Test
    void setWithSeveralRelativeTtlsKeepsTheLastAsRedisDoes() {
        // redis-server takes EX twice and keeps the last; it checks only that one: EX abc EX 20 sets 20 s.
        assertEquals("SET k v PXAT " + at(10_000) + " PXAT " + at(20_000), replica("SET", "k", "v", "EX", "10", "EX", "20"));
        assertEquals("SET k v PXAT abc PXAT " + at(20_000), replica("SET", "k", "v", "EX", "abc", "EX", "20"));
        assertEquals("SET k v PXAT -5 PXAT " + at(20), replica("SET", "k", "v", "PX", "-5", "PX", "20"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "20", "EX", "abc"));
    }

    @Test
    void setWithoutARelativeTtlIsNotRewritten() {
        assertEquals("as sent", replica("SET", "k", "v"));
        assertEquals("as sent", replica("SET", "k", "v", "NX"));
        assertEquals("as sent", replica("SET", "k", "v", "KEEPTTL"));
        assertEquals("as sent", replica("SET", "k", "v", "KEEPTTL", "XX", "GET"));
        assertEquals("as sent", replica("SET", "k", "v", "EXAT", "1900000000"));
        assertEquals("as sent", replica("SET", "k", "v", "PXAT", "1900000000000", "NX"));
        assertEquals("as sent", replica("SET", "k", "v", "PXAT", "1", "PXAT", "2"));
    }

    @Test
    void setsSyntaxErrorsAreLeftForTheMasterToRefuse() {
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "PX", "20"));
        assertEquals("as sent", replica("SET", "k", "v", "PX", "10", "EX", "20"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "EXAT", "2000000000"));
        assertEquals("as sent", replica("SET", "k", "v", "PXAT", "2000000000000", "EX", "10"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "KEEPTTL"));
        assertEquals("as sent", replica("SET", "k", "v", "KEEPTTL", "EX", "10"));
        assertEquals("as sent", replica("SET", "k", "v", "NX", "XX", "EX", "10"));
        assertEquals("as sent", replica("SET", "k", "v", "XX", "EX", "10", "NX"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "PERSIST"));
        assertEquals("as sent", replica("SET", "k", "v", "EX"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "EX"));
        assertEquals("as sent", replica("SET", "k", "v", "EX", "10", "FOO"));
        assertEquals("as sent", replica("SET", "k", "v", "EXX", "10"));
        assertEquals("as sent", replica("SET", "k", "v", "E", "10"));
        // The TTL's place holds an option name: its value, not an option, as redis-server reads it.
        assertEquals("as sent", replica("SET", "k", "v", "EX", "NX"));
    }

    @Test
    void aTtlRedisRefusesIsLeftForTheMasterToRefuse() {
        for (String ttl : new String[] {"0", "-1", "-10", "abc", "", "+5", "05", " 5", "5 ", "1.5", "1e3", "-0",
                "9223372036854775808", "99999999999999999999", "9223372036854775", "9223372036854775807"}) {
            assertEquals("as sent", replica("SET", "k", "v", "EX", ttl), "SET EX " + ttl);
            assertEquals("as sent", replica("SETEX", "k", ttl, "v"), "SETEX " + ttl);
            assertEquals("as sent", replica("GETEX", "k", "EX", ttl), "GETEX EX " + ttl);
        }
        // In milliseconds the seconds' overflow is no limit, but the sum with now still is.
        assertEquals("SET k v PXAT " + at(9_223_372_036_854_775L), replica("SET", "k", "v", "PX", "9223372036854775"));
        assertEquals("as sent", replica("SET", "k", "v", "PX", "9223372036854775807"));
        assertEquals("as sent", replica("SET", "k", "v", "PX", String.valueOf(Long.MAX_VALUE - NOW + 1)));
        assertEquals("SET k v PXAT " + Long.MAX_VALUE, replica("SET", "k", "v", "PX", String.valueOf(Long.MAX_VALUE - NOW)));
        assertEquals("as sent", replica("PSETEX", "k", "0", "v"));
        assertEquals("as sent", replica("PSETEX", "k", "-1", "v"));
        assertEquals("as sent", replica("PSETEX", "k", "x", "v"));
    }

    @Test
    void setexAndPsetexBecomeSetPxat() {
        assertEquals("SET k v PXAT " + at(10_000), replica("SETEX", "k", "10", "v"));
        assertEquals("SET k v PXAT " + at(10_000), replica("setex", "k", "10", "v"));
        assertEquals("SET k v PXAT " + at(250), replica("PSETEX", "k", "250", "v"));
        assertEquals("SET k v PXAT " + at(250), replica("pSeTeX", "k", "250", "v"));
        assertEquals("SET key with space value\r\nwith crlf PXAT " + at(1000),
                replica("SETEX", "key with space", "1", "value\r\nwith crlf"));
    }

    @Test
    void expireAndPexpireBecomePexpireatWithTheirFlags() {
        assertEquals("PEXPIREAT k " + at(10_000), replica("EXPIRE", "k", "10"));
        assertEquals("PEXPIREAT k " + at(10_000), replica("expire", "k", "10"));
        assertEquals("PEXPIREAT k " + at(1234), replica("PEXPIRE", "k", "1234"));
        assertEquals("PEXPIREAT k " + at(1234), replica("pexpire", "k", "1234"));
        for (String flag : new String[] {"NX", "XX", "GT", "LT", "nx", "gt"}) {
            assertEquals("PEXPIREAT k " + at(10_000) + " " + flag, replica("EXPIRE", "k", "10", flag));
            assertEquals("PEXPIREAT k " + at(10) + " " + flag, replica("PEXPIRE", "k", "10", flag));
        }
        // Flags redis-server refuses stay as they are: both servers refuse them alike.
        assertEquals("PEXPIREAT k " + at(10_000) + " NX XX", replica("EXPIRE", "k", "10", "NX", "XX"));
        assertEquals("PEXPIREAT k " + at(10_000) + " bogus", replica("EXPIRE", "k", "10", "bogus"));
    }

    @Test
    void aNegativeOrZeroExpireIsADeadlineInThePastAndDeletesTheKeyOnBoth() {
        // redis-server takes these (the key is deleted, reply 1): the backup must delete it too.
        assertEquals("PEXPIREAT k " + at(-1000), replica("EXPIRE", "k", "-1"));
        assertEquals("PEXPIREAT k " + NOW, replica("EXPIRE", "k", "0"));
        assertEquals("PEXPIREAT k " + at(-5), replica("PEXPIRE", "k", "-5"));
        assertEquals("PEXPIREAT k " + (NOW - 9_223_372_036_854_775_000L), replica("EXPIRE", "k", "-9223372036854775"));
        assertEquals("PEXPIREAT k " + (NOW + Long.MIN_VALUE), replica("PEXPIRE", "k", "-9223372036854775808"));
    }

    @Test
    void anExpireRedisRefusesIsLeftForTheMasterToRefuse() {
        for (String ttl : new String[] {"abc", "", "+5", "05", "1.5", "-0", "9223372036854775808", "9223372036854775",
                "9223372036854776", "-9223372036854776"}) {
            assertEquals("as sent", replica("EXPIRE", "k", ttl), "EXPIRE " + ttl);
        }
        assertEquals("as sent", replica("PEXPIRE", "k", "9223372036854775807"));
        assertEquals("as sent", replica("PEXPIRE", "k", "x", "NX"));
    }

    @Test
    void absoluteExpiriesAndReadsAreNotRewritten() {
        assertEquals("as sent", replica("EXPIREAT", "k", "1900000000"));
        assertEquals("as sent", replica("PEXPIREAT", "k", "1900000000000"));
        assertEquals("as sent", replica("PERSIST", "k"));
        assertEquals("as sent", replica("GETSET", "k", "v"));
        assertEquals("as sent", replica("INCR", "k"));
        assertEquals("as sent", replica("HSET", "h", "EX", "10"));
        assertEquals("as sent", replica("SETNX", "k", "10"));
    }

    @Test
    void getexWithExOrPxCarriesPxat() {
        assertEquals("GETEX k PXAT " + at(10_000), replica("GETEX", "k", "EX", "10"));
        assertEquals("getex k PXAT " + at(99), replica("getex", "k", "px", "99"));
        assertEquals("GETEX k PXAT " + at(1000) + " PXAT " + at(2000), replica("GETEX", "k", "EX", "1", "EX", "2"));
        assertEquals("as sent", replica("GETEX", "k"));
        assertEquals("as sent", replica("GETEX", "k", "PERSIST"));
        assertEquals("as sent", replica("GETEX", "k", "EXAT", "1900000000"));
        assertEquals("as sent", replica("GETEX", "k", "PXAT", "1900000000000"));
        // SET's options are syntax errors to GETEX, and PERSIST excludes any expiry.
        assertEquals("as sent", replica("GETEX", "k", "EX", "10", "NX"));
        assertEquals("as sent", replica("GETEX", "k", "GET", "EX", "10"));
        assertEquals("as sent", replica("GETEX", "k", "KEEPTTL", "EX", "10"));
        assertEquals("as sent", replica("GETEX", "k", "PERSIST", "EX", "10"));
        assertEquals("as sent", replica("GETEX", "k", "EX", "10", "PERSIST"));
        assertEquals("as sent", replica("GETEX", "k", "EX", "10", "PX", "10"));
        assertEquals("as sent", replica("GETEX", "k", "EX"));
    }

    @Test
    void restoreWithATtlBecomesAbsttl() {
        String payload = "\u0000\u0001v\n\u0000\u0091\b\u00ce\u00b2\u00198\u008a\u00ce";
        assertEquals("RESTORE k " + at(5000) + " " + payload + " ABSTTL", replica("RESTORE", "k", "5000", payload));
        assertEquals("restore k " + at(5000) + " p REPLACE ABSTTL", replica("restore", "k", "5000", "p", "REPLACE"));
        assertEquals("RESTORE k " + at(1) + " p replace IDLETIME 10 ABSTTL",
                replica("RESTORE", "k", "1", "p", "replace", "IDLETIME", "10"));
        assertEquals("RESTORE k " + at(1) + " p FREQ 5 REPLACE ABSTTL", replica("RESTORE", "k", "1", "p", "FREQ", "5", "REPLACE"));
        // IDLETIME's value is not an option even when it reads as one.
        assertEquals("RESTORE k " + at(1) + " p IDLETIME ABSTTL ABSTTL", replica("RESTORE", "k", "1", "p", "IDLETIME", "ABSTTL"));
    }

    @Test
    void restoreWithoutARelativeTtlOrThatRedisRefusesIsNotRewritten() {
        assertEquals("as sent", replica("RESTORE", "k", "0", "p"));
        assertEquals("as sent", replica("RESTORE", "k", "1900000000000", "p", "ABSTTL"));
        assertEquals("as sent", replica("RESTORE", "k", "1900000000000", "p", "REPLACE", "absttl"));
        assertEquals("as sent", replica("RESTORE", "k", "-1", "p"));
        assertEquals("as sent", replica("RESTORE", "k", "x", "p"));
        assertEquals("as sent", replica("RESTORE", "k", "10", "p", "BOGUS"));
        assertEquals("as sent", replica("RESTORE", "k", "10", "p", "IDLETIME"));
        assertEquals("as sent", replica("RESTORE", "k", String.valueOf(Long.MAX_VALUE - NOW + 1), "p"));
    }

    @Test
    void anInlineRequestIsRewrittenAlike() {
        assertEquals("SET k v PXAT " + at(10_000), replica("SET k v EX 10\r\n"));
        assertEquals("SET k v PXAT " + at(10_000), replica("SETEX k 10 v\r\n"));
        assertEquals("PEXPIREAT \"k 1\" " + at(3000) + " GT", replica("EXPIRE \"\\\"k 1\\\"\" 3 GT\r\n"));
    }

    @Test
    void aWarmRewriteAllocatesNothing() {
        Buffer in = new Buffer(4096, 4096);
        Buffer out = new Buffer(4096, 4096);
        byte[] wire = (resp("SET", "k", "v", "NX", "EX", "10") + resp("SETEX", "k", "10", "v") + resp("PEXPIRE", "k", "-5", "GT")
                + resp("GETEX", "k", "PX", "100") + resp("RESTORE", "k", "10", "p", "REPLACE") + resp("SET", "k", "v"))
                .getBytes(StandardCharsets.ISO_8859_1);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long threadId = Thread.currentThread().getId();
        long before = 0;
        long sum = 0;
        for (int round = 0; round < 40_000; round++) {
            if (round == 20_000) {
                before = threads.getThreadAllocatedBytes(threadId);
            }
            in.put(wire);
            while (parser.parse(in, request) == RedisRequest.Outcome.REQUEST) {
                RedisCommand command = RedisCommand.lookup(in, request.argIndex(in, 0), request.argLength(0));
                sum += expiry.write(out, in, request, command, NOW + round);
                in.skip(request.length());
            }
            out.clear();
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes over 120,000 rewrites (sum " + sum + ")");
    }
}
