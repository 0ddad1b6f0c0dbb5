package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * MD5 for the {@code md5} key hash and for ketama's ring points. Both read 32-bit words out of the
 * digest little-endian: the key hash is word 0, a ketama point string yields words 0..3.
 *
 * <p>{@link MessageDigest} is stateful, so each thread has its own, with a scratch copy of the key
 * (a {@link MessageDigest#update(ByteBuffer)} would move the caller's buffer position) and a digest
 * array: a lookup on a worker thread allocates nothing once the thread has hashed its first key.
 */
final class Md5Hash {

    static final int DIGEST_LENGTH = 16;
    private static final int INITIAL_SCRATCH_LENGTH = 256;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Md5Hash() {
    }

    /** {@code md5} key hash: digest word 0, little-endian. */
    static int hash(ByteBuffer buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.limit());
        Scratch scratch = SCRATCH.get();
        MessageDigest md5 = scratch.md5;
        if (buf.hasArray()) {
            md5.update(buf.array(), buf.arrayOffset() + offset, length);
        } else {
            byte[] copy = scratch.keyCopy(length);
            buf.get(offset, copy, 0, length);
            md5.update(copy, 0, length);
        }
        byte[] digest = scratch.digest;
        try {
            md5.digest(digest, 0, DIGEST_LENGTH);
        } catch (DigestException e) {
            throw new IllegalStateException("md5 digest of " + length + " bytes failed", e);
        }
        return digestWord(digest, 0);
    }

    /** The whole digest, for building rings (allocates; not for the request path). */
    static byte[] digest(byte[] input) {
        MessageDigest md5 = SCRATCH.get().md5;
        return md5.digest(input);
    }

    /** Word {@code word} (0..3) of a digest, little-endian. */
    static int digestWord(byte[] digest, int word) {
        int base = word * 4;
        return (digest[base] & 0xff)
                | (digest[base + 1] & 0xff) << 8
                | (digest[base + 2] & 0xff) << 16
                | (digest[base + 3] & 0xff) << 24;
    }

    /** One thread's digest state and buffers. */
    private static final class Scratch {
        final MessageDigest md5;
        final byte[] digest = new byte[DIGEST_LENGTH];
        private byte[] key = new byte[INITIAL_SCRATCH_LENGTH];

        Scratch() {
            try {
                md5 = MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no MD5 MessageDigest", e);
            }
        }

        /** Keys are at most 250 bytes in memcached, so this grows only for unusual callers. */
        byte[] keyCopy(int length) {
            if (key.length < length) {
                key = new byte[Math.max(length, key.length * 2)];
            }
            return key;
        }
    }
}
