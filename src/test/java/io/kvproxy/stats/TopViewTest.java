package io.kvproxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code top}'s screen from two recorded samples of the stats port, taken two seconds apart. */
class TopViewTest {

    /** A stats port sample as kvproxy writes it (one line; the server objects cut to the fields top reads, plus one it ignores). */
    private static String sample(long uptime, long requests, long hits, long misses, long forwardErrors, long aRequests,
                                 long bRequests, long bTimedOut, int bOnline) {
        return "{\"service\":\"kvproxy\", \"source\":\"cache1\", \"version\":\"0.1.0\", \"uptime\":" + uptime
                + ", \"timestamp\":1796169209, \"total_connections\":12, \"curr_connections\":3, \"memcached\":{\"client_eof\":0,"
                + " \"client_err\":0, \"client_connections\":3, \"server_ejects\":1, \"forward_error\":" + forwardErrors
                + ", \"fragments\":4, \"kvproxy_config_generation\":2, \"kvproxy_requests\":" + requests
                + ", \"kvproxy_get_hits\":" + hits + ", \"kvproxy_get_misses\":" + misses
                + ", \"a\":{\"server_eof\":0, \"server_err\":0, \"server_timedout\":0, \"server_ejected_at\":0, \"requests\":" + aRequests
                + ", \"kvproxy_address\":\"10.0.0.1:11211\", \"kvproxy_online\":1, \"kvproxy_latency_p99_us\":415},"
                + " \"b\":{\"server_eof\":0, \"server_err\":0, \"server_timedout\":" + bTimedOut
                + ", \"server_ejected_at\":1796169208000000, \"requests\":" + bRequests
                + ", \"kvproxy_address\":\"10.0.0.2:11211\", \"kvproxy_online\":" + bOnline + ", \"kvproxy_latency_p99_us\":200415}}}";
    }

    @Test
    void twoSamplesGiveRatesHitRatioLatencyAndWhatIsOut() {
        Map<String, Object> first = TopView.parse(sample(100, 10_000, 900, 100, 0, 6_000, 4_000, 0, 1));
        Map<String, Object> second = TopView.parse(sample(102, 16_000, 5_400, 600, 40, 10_000, 6_000, 40, 0));

        String[] lines = TopView.render(first, second, 2.0).split("\n");

        assertEquals("kvproxy 0.1.0 on cache1   up 102s   clients 3 (12 since start)", lines[0]);
        assertEquals("POOL / SERVER                     req/s     hit%     p99 µs     err/s state", lines[2]);
        // 6,000 requests in 2 s; 4,500 hits of 5,000 gets since the first sample; 40 errors in 2 s.
        assertEquals("memcached                          3000     90.0                   20 generation 2", lines[3]);
        assertEquals("  a 10.0.0.1:11211                 2000                 415         0 in", lines[4]);
        assertEquals("  b 10.0.0.2:11211                 1000              200415        20 OUT (ejected 1796169208000000)", lines[5]);
    }

    @Test
    void theFirstSampleHasNoRatesYetAndItsHitRatioIsSinceStart() {
        String screen = TopView.render(null, TopView.parse(sample(5, 10, 1, 1, 0, 5, 5, 0, 1)), 0);
        assertTrue(screen.contains("\nmemcached                             -     50.0                    - generation 2\n"), screen);
    }

    @Test
    void aNutcrackerSampleIsReadToo() {
        Map<String, Object> nutcracker = TopView.parse("{\"service\":\"nutcracker\", \"source\":\"h\", \"version\":\"0.5.0\","
                + " \"uptime\":3, \"timestamp\":1, \"total_connections\":2, \"curr_connections\":1, \"alpha\":{\"client_eof\":0,"
                + " \"server_ejects\":0, \"s1\":{\"server_eof\":0, \"requests\":7, \"request_bytes\":99}}}");
        assertEquals(7L, ((Map<?, ?>) ((Map<?, ?>) nutcracker.get("alpha")).get("s1")).get("requests"));
        assertThrows(IllegalArgumentException.class, () -> TopView.parse("{\"a\":1"));
        assertThrows(IllegalArgumentException.class, () -> TopView.parse("[1]"));
    }
}
