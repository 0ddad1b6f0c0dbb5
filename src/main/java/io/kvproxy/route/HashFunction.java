package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Optional;

/**
 * The twelve key hashes of twemproxy (the {@code hash} setting), reproduced bit for bit, including the
 * quirks that come from reading key bytes as signed {@code char} on x86-64: a kvproxy and a nutcracker
 * with the same servers and the same {@code hash} must place every key, non-ASCII ones included, on the
 * same server. The algorithms live in small classes per family; this enum only names and dispatches.
 *
 * <p>Every constant is stateless or keeps its scratch space in a thread-local, so one instance serves
 * all worker threads. {@link #hash(ByteBuffer, int, int)} reads the key in place with absolute indices:
 * it neither allocates nor moves the buffer's position or limit, since the buffer belongs to a
 * connection and the key is only a view into it.
 */
public enum HashFunction {
    ONE_AT_A_TIME {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return BobJenkinsHashes.oneAtATime(buf, offset, length);
        }
    },
    MD5 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return Md5Hash.hash(buf, offset, length);
        }
    },
    CRC16 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return CrcHashes.crc16(buf, offset, length);
        }
    },
    CRC32 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return CrcHashes.crc32Libmemcached(buf, offset, length);
        }
    },
    CRC32A {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return CrcHashes.crc32(buf, offset, length);
        }
    },
    FNV1_64 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return FnvHashes.fnv1With64BitState(buf, offset, length);
        }
    },
    FNV1A_64 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return FnvHashes.fnv1aWithTruncated64BitConstants(buf, offset, length);
        }
    },
    FNV1_32 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return FnvHashes.fnv1(buf, offset, length);
        }
    },
    FNV1A_32 {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return FnvHashes.fnv1a(buf, offset, length);
        }
    },
    HSIEH {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return HsiehHash.hash(buf, offset, length);
        }
    },
    MURMUR {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return MurmurHash.hash(buf, offset, length);
        }
    },
    JENKINS {
        @Override
        public int hash(ByteBuffer buf, int offset, int length) {
            return BobJenkinsHashes.lookup3(buf, offset, length);
        }
    };

    private static final HashFunction[] ALL = values();

    private final String configName = name().toLowerCase(Locale.ROOT);

    /** The config name, e.g. {@code "one_at_a_time"}, {@code "fnv1a_64"}. */
    public String configName() {
        return configName;
    }

    /** Lookup by config name (exact, lower case as twemproxy spells it); empty for an unknown name. */
    public static Optional<HashFunction> byConfigName(String name) {
        for (HashFunction function : ALL) {
            if (function.configName.equals(name)) {
                return Optional.of(function);
            }
        }
        return Optional.empty();
    }

    /**
     * 32-bit hash of {@code length} bytes of {@code buf} starting at absolute index {@code offset}. The
     * result is an unsigned value held in an int: compare with {@link Integer#toUnsignedLong(int)} or
     * {@link Integer#compareUnsigned(int, int)}. Does not allocate and leaves position and limit alone.
     *
     * @throws IndexOutOfBoundsException when the region is not inside {@code [0, buf.limit())}
     */
    public abstract int hash(ByteBuffer buf, int offset, int length);

    /** Convenience for tests and config-time work; allocates a wrapper. */
    public int hash(byte[] key) {
        return hash(ByteBuffer.wrap(key), 0, key.length);
    }
}
