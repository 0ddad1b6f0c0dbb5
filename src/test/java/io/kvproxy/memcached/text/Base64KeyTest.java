package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Base64 keys decoded as memcached 1.6.18 decodes them (recorded from a real server), and encoded back. */
@Timeout(30)
class Base64KeyTest {

    private static String decoded(String encoded) {
        Buffer in = new Buffer(64, 1024).put(encoded.getBytes(StandardCharsets.ISO_8859_1));
        Buffer out = new Buffer(64, 1024);
        int length = Base64Key.decode(in, 0, in.readable(), out);
        assertEquals(length < 0 ? 0 : length, out.readable(), "nothing appended on failure");
        return length < 0 ? null : out.toString(0, length);
    }

    @Test
    void decodesWhatMemcachedDecodes() {
        assertEquals("foo", decoded("Zm9v"));
        assertEquals("fo", decoded("Zm8="));
        assertEquals("f", decoded("Zg=="));
        // memcached ignores the bits a padded group leaves over, and everything after the padding.
        assertEquals("f", decoded("Zh=="));
        assertEquals("fo", decoded("Zm8=Zm8="));
        assertEquals("mf8771:b", decoded("bWY4NzcxOmI=!"));
        // Characters outside the alphabet are skipped wherever they are.
        assertEquals("foo", decoded("Zm9v!"));
        assertEquals("foo", decoded("Z!m\t9\rv"));
    }

    @Test
    void refusesWhatMemcachedRefuses() {
        for (String bad : new String[] {"", "Zm8", "Zg=", "!!!!", "k", "Zm9vZ", "Z==="}) {
            assertEquals(null, decoded(bad), bad);
        }
    }

    @Test
    void encodesAsTheJdkDoesAndDecodesBack() {
        Random random = new Random(7);
        for (int length = 1; length < 200; length++) {
            byte[] key = new byte[length];
            random.nextBytes(key);
            Buffer in = new Buffer(256, 1024).put(key);
            Buffer out = new Buffer(256, 1024);
            Base64Key.encode(in, 0, length, out);
            assertEquals(Base64.getEncoder().encodeToString(key), out.toString(0, out.readable()));
            Buffer back = new Buffer(256, 1024);
            assertEquals(length, Base64Key.decode(out, 0, out.readable(), back));
            assertTrue(back.regionEquals(0, key));
        }
    }

    @Test
    void onlyKeysWithoutSpaceOrControlBytesAreTextSafe() {
        assertTrue(Base64Key.isTextSafe(new Buffer(8, 8).put("k:é".getBytes(StandardCharsets.ISO_8859_1)), 0, 3));
        assertFalse(Base64Key.isTextSafe(new Buffer(8, 8).put("a b".getBytes(StandardCharsets.ISO_8859_1)), 0, 3));
        assertFalse(Base64Key.isTextSafe(new Buffer(8, 8).put(new byte[] {'a', 0, 'b'}), 0, 3));
    }
}
