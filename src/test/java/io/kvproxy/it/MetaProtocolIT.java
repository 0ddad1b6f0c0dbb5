package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meta protocol side by side: every example and every flag of memcached's protocol.txt (its Meta
 * Commands, Meta Debug, Meta Get, Meta Set, Meta Delete, Meta Arithmetic and Meta No-Op sections), sent
 * on one connection each to a lone memcached 1.6.18 and to kvproxy over three masters and a backup, must
 * get the same bytes back. Numbers the servers make up themselves are masked: CAS values, times since
 * last access, remaining TTLs and expiry times (a second may tick between the two sides). Where a request
 * needs a CAS, {@code {cas}} stands for the last one that side returned.
 */
@Timeout(120)
class MetaProtocolIT {

    private static final Pattern CAS = Pattern.compile("(?<= )c(\\d+)");
    private static final String LONG_KEY = "k".repeat(251);

    @TempDir
    static Path dir;
    static SideBySidePool pool;

    @BeforeAll
    static void start() throws Exception {
        pool = SideBySidePool.start(dir, "1m", "max_packet = 1\nrecv_timeout = 2000");
    }

    @AfterAll
    static void stop() throws Exception {
        SideBySidePool.stop(pool);
    }

    /** An mn command in a request: a line that is {@code mn}, or {@code mn} and tokens. */
    private static final Pattern MN_COMMAND = Pattern.compile("(?md)^mn( [^\r\n]*)?\r$");

    /** One side of the comparison: a connection and the last CAS it was given. */
    private static final class Side implements AutoCloseable {
        final RawClient client;
        String lastCas = "0";

        Side(int port) throws Exception {
            client = new RawClient(port);
        }

        /**
         * Sends {@code request} and an mn, returns everything before the last MN, with {@code {cas}} filled
         * in. A request holding mn commands of its own is read to its own MNs and the closing one: the
         * replies may come in one read or several.
         */
        String answer(String request) throws Exception {
            client.send(request.replace("{cas}", lastCas) + "mn\r\n");
            int due = 1 + (int) MN_COMMAND.matcher(request).results().count();
            StringBuilder replies = new StringBuilder();
            while (replies.toString().split("MN\r\n", -1).length - 1 < due) {
                replies.append(client.readUntil("MN\r\n"));
            }
            String reply = replies.toString();
            Matcher cas = CAS.matcher(reply);
            while (cas.find()) {
                lastCas = cas.group(1);
            }
            return reply.substring(0, reply.length() - "MN\r\n".length());
        }

        @Override
        public void close() throws Exception {
            client.close();
        }
    }

    private static String masked(String reply) {
        return CAS.matcher(reply).replaceAll("c<cas>")
                .replaceAll("(?<= )t\\d+", "t<ttl>")
                .replaceAll("(?<= )l\\d+", "l<la>")
                .replaceAll("cas=\\d+", "cas=<cas>")
                .replaceAll("la=\\d+", "la=<la>")
                .replaceAll("exp=\\d+", "exp=<exp>");
    }

    /** Sends every case, in order, to both sides; each reply must match, and none may be empty of meaning. */
    private static void sameOnBoth(String... cases) throws Exception {
        try (Side memcached = new Side(pool.reference.port()); Side kvproxy = new Side(pool.proxy.port())) {
            for (String request : cases) {
                String expected = masked(memcached.answer(request));
                assertEquals(expected, masked(kvproxy.answer(request)), () -> "kvproxy, to " + printable(request));
            }
        }
    }

    private static String printable(String s) {
        String shown = s.length() > 300 ? s.substring(0, 150) + "…" + s.substring(s.length() - 60) : s;
        return shown.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Test
    void theMetaCommandsSectionsExamples() throws Exception {
        sameOnBoth(
                // "Sending an 't' flag with a get for an item with 20 seconds of TTL remaining would return 't20'".
                "ms mc:ttl 2 T20\r\nhi\r\n", "mg mc:ttl t v\r\n",
                // The P and L tokens a proxy may use, "mg /path/foo v" and "mg foo Lpath/ v".
                "ms /path/foo 3\r\nbar\r\n", "mg /path/foo v\r\n", "ms foo 3\r\nfoo\r\n", "mg foo Lpath/ v\r\n",
                "mg foo Ppath/ v\r\n",
                // Flags with token arguments: "Oopaque", "Kuserkey" (no such flag: an error).
                "mg foo Oopaque v\r\n", "mg foo Kuserkey\r\n",
                // Syntax errors "are handled the same as noted under 'Error strings'".
                "mg\r\n", "ms\r\n", "md\r\n", "ma\r\n", "me\r\n", "ms foo\r\n", "ms foo x\r\nxx\r\n", "ms foo -1\r\n",
                "mg " + LONG_KEY + " v\r\n", "ms " + LONG_KEY + " 2\r\nhi\r\n", "md " + LONG_KEY + "\r\n",
                "mg foo v v\r\n", "mg foo z\r\n", "mg foo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n",
                "ms foo 1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\nx\r\n", "ms foo 1 T1 T2 T3\r\nx\r\n",
                "mg foo O" + "o".repeat(40) + " v\r\n", "ms foo 2 Mz\r\nhixx\r\n", "ms foo 1\r\nab\r\n");
    }

    @Test
    void metaDebug() throws Exception {
        sameOnBoth("ms md:a 5 T100\r\nhello\r\n", "me md:a\r\n", "me md:none\r\n", "me bWQ6YQ== b\r\n", "me md:a x\r\n",
                "mg md:a v\r\n", "me md:a\r\n");
    }

    @Test
    void metaGetEveryFlag() throws Exception {
        sameOnBoth(
                "ms mg:a 5 F7 T100\r\nhello\r\n",
                // b c f h k l O q s t u v, one at a time and together.
                "mg bWc6YQ== b v k\r\n", "mg bWc6YQ== b\r\n", "mg mg:a c\r\n", "mg mg:a f\r\n", "mg mg:a h\r\n", "mg mg:a h\r\n",
                "mg mg:a k\r\n", "mg mg:a l\r\n", "mg mg:a O123\r\n", "mg mg:a q\r\n", "mg mg:none q\r\n", "mg mg:none q k O9\r\n",
                "mg mg:a s\r\n", "mg mg:a t\r\n", "mg mg:a u v\r\n", "mg mg:a v\r\n", "mg mg:none v\r\n", "mg mg:none k O5\r\n",
                "mg mg:a s v f t c h l k O42 q\r\n",
                // "supply an O flag for each mg with tokens of 1 2 and 3" to pipeline them.
                "ms mg:1 1\r\n1\r\nms mg:3 1\r\n3\r\n", "mg mg:1 O1 v q\r\nmg mg:2 O2 v q\r\nmg mg:3 O3 v q\r\n",
                // N: vivify on miss (W), and Z for the next one; then the winner's set.
                "mg mg:viv N30 v c t\r\n", "mg mg:viv N30 v t\r\n", "ms mg:viv 3 T60\r\nnew\r\n", "mg mg:viv v\r\n",
                // R: win the recache when the TTL is below the token.
                "ms mg:rc 1 T100\r\nr\r\n", "mg mg:rc R30 v\r\n", "mg mg:rc R200 v\r\n", "mg mg:rc R200 v\r\n",
                // T: update the TTL.
                "mg mg:a T300 t\r\n", "mg mg:a t\r\n", "mg mg:none T30\r\n",
                // X: stale after md I; W for the first client, Z after.
                "ms mg:st 3\r\nold\r\n", "md mg:st I T30\r\n", "mg mg:st v c\r\n", "mg mg:st v\r\n",
                // q and the tokens the proxy puts in its place: a loud line keeps P and L and their errors.
                "mg mg:none q Pa La\r\n", "mg mg:a q Pa La v\r\n", "mg mg:none q q\r\n", "mg mg:none q q Pa La\r\n",
                "mg mg:a q Pa\r\n", "mg mg:none qx\r\n",
                // b with what memcached cannot decode.
                "mg !!!! b v\r\n", "mg Zm8 b v\r\n", "mg Zm8= b v\r\n");
    }

    @Test
    void metaSetEveryFlagAndMode() throws Exception {
        sameOnBoth(
                "ms bXM6Yg== 2 b\r\nbb\r\n", "mg ms:b v k\r\n", "ms ms:a 2 c\r\nhi\r\n", "ms ms:a 2 C{cas} c\r\nho\r\n",
                "ms ms:a 2 C1\r\nno\r\n", "ms ms:new 2 C1\r\nno\r\n", "ms ms:a 2 F99 T0\r\nhe\r\n", "mg ms:a f v\r\n",
                "mg ms:a c\r\n", "ms ms:a 2 C1 I\r\nst\r\n", "mg ms:a v c\r\n", "ms ms:a 2 k O77\r\nok\r\n",
                "ms ms:a 2 q\r\nqq\r\n", "ms ms:a 2 q ME\r\nqq\r\n", "ms ms:a 2 T100\r\ntt\r\n", "mg ms:a t\r\n",
                "ms ms:a 2 ME\r\nee\r\n", "ms ms:e 2 ME\r\nee\r\n", "ms ms:a 2 MA\r\naa\r\n", "ms ms:a 2 MP\r\npp\r\n",
                "ms ms:r 2 MR\r\nrr\r\n", "ms ms:a 2 MR\r\nrr\r\n", "ms ms:a 2 MS\r\nss\r\n", "mg ms:a v\r\n",
                "ms ms:none 2 MA\r\naa\r\n", "ms ms:a 2 MA C1\r\naa\r\n", "ms ms:a 0\r\n\r\n", "mg ms:a v s\r\n",
                "ms ms:a 2 Mx\r\nxx\r\n", "ms ms:a 2 q q\r\nxx\r\n", "ms ms:a 2 q Pa La\r\nxx\r\n", "ms ms:a 2 q ME Pa La\r\nxx\r\n",
                // Too large: refused, read past, and the old value is gone, whatever the mode, plain key or base64.
                "ms ms:big 3\r\nold\r\n", "ms ms:big 1500000\r\n" + "x".repeat(1_500_000) + "\r\n", "mg ms:big v\r\n",
                "ms ms:big2 3\r\nold\r\n", "ms bXM6YmlnMg== 1500000 b MA q\r\n" + "x".repeat(1_500_000) + "\r\n", "mg ms:big2 v\r\n");
    }

    @Test
    void metaDeleteEveryFlag() throws Exception {
        sameOnBoth(
                "ms md:a 1\r\na\r\n", "md md:a\r\n", "md md:a\r\n", "ms md:b 1\r\nb\r\n", "md bWQ6Yg== b k\r\n",
                "ms md:c 1 c\r\nc\r\n", "md md:c C1\r\n", "md md:c C{cas}\r\n", "ms md:d 1\r\nd\r\n", "md md:d I T30\r\n",
                "mg md:d v c\r\n", "md md:d k O1\r\n", "ms md:e 1\r\ne\r\n", "md md:e q\r\n", "md md:e q\r\n", "md md:e T30\r\n",
                "md md:e q Pa La\r\n");
    }

    @Test
    void metaArithmeticEveryFlagAndMode() throws Exception {
        sameOnBoth(
                "ma ma:n\r\n", "ma ma:n N0 J10\r\n", "ma ma:n\r\n", "ma ma:n v\r\n", "ma ma:n D5 v\r\n", "ma ma:n MD D3 v\r\n",
                "ma ma:n M- v\r\n", "ma ma:n M+ v\r\n", "ma ma:n MI v\r\n", "ma ma:n Mx\r\n", "ma ma:n t v\r\n", "ma ma:n T100 t v\r\n",
                "ma ma:n c\r\n", "ma ma:n C{cas} v\r\n", "ma ma:n C1 v\r\n", "ma bWE6bg== b v k O3\r\n", "ma ma:n q\r\n",
                "ma ma:n q v\r\n", "ma ma:none q\r\n", "ma ma:n MD D100 v\r\n", "ms ma:s 3\r\nabc\r\n", "ma ma:s\r\n",
                "ma ma:n D18446744073709551615 v\r\n", "ma ma:n Dx\r\n", "ma ma:n q Pa La v\r\n");
    }

    @Test
    void metaNoOp() throws Exception {
        sameOnBoth("mn\r\n", "mn foo\r\n", "mg mn:none q\r\nmg mn:none q\r\n");
    }

    /**
     * The one deliberate difference in what quiet mode shows: memcached 1.6.18 hides a quiet ma's success
     * but shows it when N made the counter; kvproxy cannot tell the two apart from the reply, and hides both.
     */
    @Test
    void aQuietMaThatCreatesItsCounterIsHiddenLikeEveryOtherSuccess() throws Exception {
        try (Side memcached = new Side(pool.reference.port()); Side kvproxy = new Side(pool.proxy.port())) {
            assertEquals("HD\r\n", memcached.answer("ma qv:n N0 J5 q\r\n"));
            assertEquals("", kvproxy.answer("ma qv:n N0 J5 q\r\n"));
            assertEquals("VA 1\r\n7\r\n", memcached.answer("ma qv:n q\r\nma qv:n v\r\n"));
            assertEquals("VA 1\r\n7\r\n", kvproxy.answer("ma qv:n q\r\nma qv:n v\r\n"));
        }
    }

    /**
     * A quiet pipeline over keys on all three servers, ended by mn: hits and misses, quiet sets among them,
     * every reply in request order and the misses and HDs withheld, as a lone memcached does.
     */
    @Test
    void quietPipelinesAcrossServersEndInOrderAtMn() throws Exception {
        StringBuilder stores = new StringBuilder();
        StringBuilder reads = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            if (i % 3 != 0) {
                stores.append("ms qp:").append(i).append(' ').append(Integer.toString(i).length()).append(" q T0 F").append(i)
                        .append("\r\n").append(i).append("\r\n");
            }
            reads.append("mg qp:").append(i).append(" q v k f O").append(i).append("\r\n");
            if (i % 7 == 0) {
                reads.append("ms qp:w").append(i).append(" 1 q\r\nw\r\nms qp:").append(i).append(" 1 q ME O").append(i).append("\r\nx\r\n");
            }
        }
        sameOnBoth(stores.toString(), reads.toString(), reads.toString());
        Set<Integer> holders = new HashSet<>();
        for (int i = 1; i < 60; i += 3) {
            holders.add(holderOf("qp:" + i));
        }
        assertEquals(3, holders.size(), "the keys are spread over every server");
    }

    /** A base64 key is the decoded key: stored through b, it is on the server the plain key routes to. */
    @Test
    void aBase64KeyLandsWhereThePlainKeyDoes() throws Exception {
        try (RawClient c = new RawClient(pool.proxy.port())) {
            for (int i = 0; i < 30; i++) {
                String key = "b64:" + i;
                String encoded = java.util.Base64.getEncoder().encodeToString(key.getBytes());
                assertEquals("HD\r\n", c.call("ms " + encoded + " 1 b\r\n" + (i % 10) + "\r\n", "\r\n"));
                // memcached marks the key binary and so returns it in base64, whichever way it is asked for.
                assertEquals("VA 1 k" + encoded + " b\r\n" + (i % 10) + "\r\n",
                        c.call("mg " + key + " v k\r\n", "\r\n" + (i % 10) + "\r\n"));
                assertTrue(holderOf(key) >= 0);
            }
        }
    }

    private static int holderOf(String key) throws Exception {
        int holder = -1;
        for (int i = 0; i < pool.masters.size(); i++) {
            try (RawClient direct = new RawClient(pool.masters.get(i).port())) {
                if (direct.call("mg " + key + " k\r\n", "\r\n").startsWith("HD")) {
                    assertEquals(-1, holder, key + " is on two servers");
                    holder = i;
                }
            }
        }
        assertTrue(holder >= 0, key + " is on no server");
        return holder;
    }
}
