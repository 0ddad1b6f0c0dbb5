package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The twelve hashes against twemproxy-compat.md §2.1, every cell of both tables, plus the properties
 * the request path relies on (reads in place, thread-safe, no allocation).
 */
@Timeout(10)
class HashFunctionTest {

    /** Column order of the reference tables. */
    private static final HashFunction[] COLUMNS = {
        HashFunction.ONE_AT_A_TIME, HashFunction.MD5, HashFunction.CRC16, HashFunction.CRC32,
        HashFunction.CRC32A, HashFunction.FNV1_64, HashFunction.FNV1A_64, HashFunction.FNV1_32,
        HashFunction.FNV1A_32, HashFunction.HSIEH, HashFunction.MURMUR, HashFunction.JENKINS,
    };

    /** The 25 libmemcached keys (twemproxy-compat.md §2.1, first table). */
    private static final List<Vector> LIBMEMCACHED_KEYS = List.of(
            vector(text("apple"), 2297466611L, 3195025439L, 3662830516L, 10542L, 2838417488L, 473199127L, 1488911807L, 67176023L, 280767167L, 3738850110L, 4142305122L, 1442444624L),
            vector(text("beat"), 3902465932L, 2556848621L, 1367196201L, 22009L, 3589867164L, 4148981457L, 2500855813L, 1190179409L, 2421315013L, 3636226060L, 734504955L, 4253821186L),
            vector(text("carrot"), 469785835L, 3724893440L, 1587355143L, 14526L, 3099497678L, 3971873300L, 1510099634L, 2043204404L, 3072375666L, 3821074029L, 3802834688L, 1885058256L),
            vector(text("daikon"), 1937308741L, 3332385401L, 1408286071L, 19510L, 3426096493L, 3257986707L, 1390325195L, 3221866419L, 855001899L, 3489929160L, 4076891445L, 2120131735L),
            vector(text("eggplant"), 261917617L, 245758794L, 2151303434L, 19432L, 3421029968L, 1722477987L, 3647689787L, 2567703427L, 459261019L, 3485772682L, 387802650L, 3261968576L),
            vector(text("flower"), 3785641677L, 2550894432L, 2245540512L, 10199L, 2815934938L, 2991193800L, 3241528582L, 3787535528L, 3521085446L, 80540287L, 560515427L, 3515188778L),
            vector(text("green"), 1439605128L, 121710495L, 1282857017L, 20634L, 3499814433L, 4147007314L, 1669328060L, 4147287986L, 18738364L, 1805464076L, 3274673488L, 4232909173L),
            vector(text("hide"), 1649152283L, 3053817768L, 2142183942L, 9369L, 2761542443L, 3633179701L, 2604311949L, 3500475733L, 1625305005L, 1895033657L, 3150339524L, 4288625128L),
            vector(text("ick"), 1493851484L, 1250994555L, 4260202062L, 11511L, 754428169L, 1805162104L, 734810122L, 344481048L, 2162232970L, 409795758L, 1527441970L, 1812047395L),
            vector(text("jack"), 1246520657L, 1862072655L, 2553814678L, 10362L, 2826627544L, 3503289120L, 1516407546L, 3865235296L, 777243802L, 979934958L, 2728642900L, 3689182164L),
            vector(text("kick"), 2221159044L, 2631955953L, 713474435L, 7893L, 517332741L, 3395702895L, 560948863L, 2181839183L, 3323728671L, 3634096985L, 3613992239L, 2502979932L),
            vector(text("lime"), 1973511823L, 2951528551L, 3017953903L, 31289L, 4198098741L, 3325073042L, 1767346780L, 119581266L, 132336572L, 1284445480L, 2938419259L, 1214050606L),
            vector(text("mushrooms"), 384136800L, 1451250070L, 1074266364L, 11313L, 741427107L, 2345265314L, 561034892L, 510234242L, 3654473228L, 2265380744L, 2321988328L, 2415988847L),
            vector(text("nectarine"), 214358653L, 2820856945L, 3715722173L, 9354L, 613084243L, 3340346032L, 4156330026L, 4248244304L, 260679466L, 707972988L, 1145154116L, 1494268927L),
            vector(text("orange"), 2379473940L, 2060845566L, 2387329708L, 7621L, 499495288L, 2722964135L, 3716417003L, 1362796839L, 1169454059L, 353823508L, 4038540960L, 1025545760L),
            vector(text("peach"), 4269788650L, 3646985608L, 1347872669L, 30628L, 2007261434L, 1173398992L, 3475297030L, 103389328L, 2698319462L, 1549198350L, 2224541613L, 3920481083L),
            vector(text("quant"), 2864377005L, 2138080750L, 1689449354L, 15218L, 3144826071L, 2815549194L, 1518272172L, 1449620010L, 1062177260L, 1327930172L, 264013145L, 4153263658L),
            vector(text("ripen"), 2638630052L, 217675895L, 2040418847L, 25967L, 3849275350L, 2562818319L, 227211583L, 182962511L, 235516991L, 9304163L, 3995512858L, 3824871822L),
            vector(text("strawberry"), 427683330L, 2230934345L, 206139219L, 2695L, 176645439L, 224996066L, 3938128828L, 3554262370L, 2218399068L, 4220749037L, 2400956718L, 3072759809L),
            vector(text("tang"), 990491717L, 1234361223L, 3098611899L, 9380L, 2762275602L, 2680194749L, 126112909L, 3206747549L, 405302637L, 2493964934L, 2346666219L, 798622255L),
            vector(text("up"), 1747111141L, 3968582726L, 3049787L, 17300L, 1133833840L, 3035305390L, 3043416448L, 1551306158L, 1128467232L, 2777873870L, 926327338L, 3065432577L),
            vector(text("volumne"), 792127364L, 2455685270L, 4183891588L, 28156L, 1845282447L, 246890365L, 3131561933L, 4127558461L, 3579622413L, 2057831732L, 442757446L, 1453328165L),
            vector(text("when"), 2599214128L, 1293568479L, 2095274021L, 9192L, 602410524L, 2395624193L, 1328739897L, 1889140833L, 2138539289L, 1510213931L, 1770805201L, 2691550971L),
            vector(text("yellow"), 2553037199L, 199067604L, 577624699L, 20484L, 3489983647L, 4145193337L, 2455664041L, 2774173721L, 96429129L, 2027828987L, 560483147L, 3408888387L),
            vector(text("zip"), 2509838425L, 2042482093L, 3743076588L, 16925L, 1109235014L, 1801941682L, 2272238452L, 1180552018L, 2877453236L, 3395453351L, 3902279934L, 2629893356L)
    );

    /** Empty key, non-ASCII bytes, long keys (twemproxy-compat.md §2.1, extra vectors). */
    private static final List<Vector> EXTRA_VECTORS = List.of(
            vector(text(""), 0L, 3649838548L, 0L, 0L, 0L, 2216829733L, 2216829733L, 2166136261L, 2166136261L, 0L, 0L, 3735928572L),
            vector(text("a"), 3392050242L, 3111502092L, 31879L, 26807L, 3904355907L, 2248259518L, 2248273036L, 84696446L, 3826002220L, 2472816263L, 1262581116L, 3768813200L),
            vector(text("apple"), 2297466611L, 3195025439L, 3662830516L, 10542L, 2838417488L, 473199127L, 1488911807L, 67176023L, 280767167L, 3738850110L, 4142305122L, 1442444624L),
            vector(text("foo"), 596015325L, 3675831724L, 205303702L, 3187L, 2356372769L, 1805727027L, 4275688823L, 1083137555L, 2851307223L, 1993659431L, 3303027599L, 2583187353L),
            vector(text("bar"), 2151715081L, 421377335L, 1276220357L, 30463L, 1996459178L, 1806514304L, 322520602L, 513390112L, 1991736602L, 2197238083L, 516654467L, 2006320315L),
            vector(text("key"), 3917505287L, 2316004924L, 3723194619L, 2704L, 2324736937L, 1804782626L, 911937772L, 1183067778L, 1746258028L, 4262080369L, 2006186433L, 3031751051L),
            vector(text("hello world"), 1045060183L, 3141252702L, 4060494820L, 3402L, 222957957L, 2979073647L, 37540583L, 1418570095L, 3582672807L, 1333368947L, 1578702139L, 355681275L),
            vector(text("user:1000"), 3043211087L, 781738503L, 3781445233L, 8052L, 2675185635L, 3550362913L, 2927313545L, 2796551329L, 1350311305L, 3723237737L, 2384768711L, 76303748L),
            vector(text("0123456789abcdef"), 4028760775L, 2377069120L, 3596871845L, 26820L, 1757737011L, 998436033L, 3853346685L, 2652598081L, 2277258045L, 3097489547L, 43138349L, 3760384329L),
            vector(text("The quick brown fox jumps over the lazy dog"), 1369346549L, 2642219166L, 581169352L, 16719L, 1095738169L, 2112060110L, 3890508048L, 3922226286L, 76545936L, 471461527L, 818385189L, 314054204L),
            vector(hex("636166c3a9"), 3650908318L, 3833532679L, 4129724007L, 6317L, 2561491637L, 2315714289L, 3472276361L, 3598905713L, 1970454601L, 3728705621L, 3658586143L, 3412207021L),
            vector(hex("ff"), 2925896852L, 3561969920L, 7920L, 32512L, 4278190080L, 2046707744L, 2046707310L, 4210270944L, 4193493326L, 44489640L, 3679652508L, 3784723880L),
            vector(hex("80616263"), 994506072L, 2862882716L, 1733247214L, 1656L, 108589559L, 2437474129L, 2425512305L, 2023611057L, 1147994001L, 3241605176L, 4268753048L, 2829883363L),
            vector(hex("6162ff"), 100913432L, 2192293236L, 2088034275L, 19613L, 3432881837L, 2488291927L, 4206756399L, 3160658135L, 3283607919L, 1977393110L, 3968893618L, 3920586603L),
            vector(hex("616263fefdfc"), 1545107620L, 3090092224L, 2328573620L, 4680L, 306740865L, 3305800828L, 3087950782L, 1472903356L, 3575090782L, 3366589570L, 990211519L, 3776421524L),
            vector(hex("c3bc6265722dc3a974c3a92de697a5e69cac"), 617737853L, 3636334342L, 1862010869L, 489L, 32104393L, 1015845349L, 4165276997L, 4193741189L, 3436395045L, 1385823092L, 1871034651L, 1267576009L),
            vector(byteRange(0x78, 0x95), 1132658385L, 3718895982L, 1676556284L, 29433L, 4076459784L, 4184474928L, 1393590918L, 3565709328L, 3373171590L, 905083403L, 3416564071L, 399083594L),
            vector(repeat('x', 250), 51816958L, 1263649145L, 1216486741L, 2408L, 2305333394L, 3586808541L, 369318829L, 3808180605L, 2640193613L, 2550922016L, 2501272622L, 972189224L)
    );

    record Vector(String label, byte[] key, long[] expected) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static Vector vector(byte[] key, long... expected) {
        return new Vector(describe(key), key, expected);
    }

    private static byte[] text(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static byte[] byteRange(int first, int last) {
        byte[] key = new byte[last - first + 1];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (first + i);
        }
        return key;
    }

    private static byte[] repeat(char c, int count) {
        return String.valueOf(c).repeat(count).getBytes(StandardCharsets.US_ASCII);
    }

    private static String describe(byte[] key) {
        for (byte b : key) {
            if (b < 0x20 || b > 0x7e) {
                return "hex " + HexFormat.of().formatHex(key);
            }
        }
        return key.length > 40 ? new String(key, 0, 20, StandardCharsets.US_ASCII) + "…(" + key.length + ")"
                : "\"" + new String(key, StandardCharsets.US_ASCII) + "\"";
    }

    static Stream<Vector> libmemcachedKeys() {
        return LIBMEMCACHED_KEYS.stream();
    }

    static Stream<Vector> extraVectors() {
        return EXTRA_VECTORS.stream();
    }

    static Stream<Vector> allVectors() {
        return Stream.concat(libmemcachedKeys(), extraVectors());
    }

    @Test
    void tablesAreComplete() {
        assertEquals(25, LIBMEMCACHED_KEYS.size());
        assertEquals(18, EXTRA_VECTORS.size());
        allVectors().forEach(v -> assertEquals(COLUMNS.length, v.expected().length, v.label()));
        assertEquals(0, EXTRA_VECTORS.get(0).key().length);
        assertEquals(30, byteRange(0x78, 0x95).length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("libmemcachedKeys")
    void libmemcachedKeyTable(Vector vector) {
        assertRow(vector);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("extraVectors")
    void extraVectorTable(Vector vector) {
        assertRow(vector);
    }

    private static void assertRow(Vector vector) {
        List<Executable> cells = new ArrayList<>();
        for (int column = 0; column < COLUMNS.length; column++) {
            HashFunction function = COLUMNS[column];
            long expected = vector.expected()[column];
            cells.add(() -> assertEquals(expected, Integer.toUnsignedLong(function.hash(vector.key())),
                    function.configName() + " of " + vector.label()));
        }
        assertAll(vector.label(), cells);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allVectors")
    void directBufferAtOffsetGivesSameHashAndLeavesBufferAlone(Vector vector) {
        byte[] key = vector.key();
        ByteBuffer direct = ByteBuffer.allocateDirect(key.length + 20);
        direct.put(new byte[] {(byte) 0xff, 'x', '{', 0, 1, 2, 3});
        int offset = direct.position();
        direct.put(key).put((byte) 0xfe).put((byte) '}');
        direct.position(3).limit(offset + key.length + 2);
        ByteBuffer heapSlice = ByteBuffer.allocate(key.length + 40).position(11).slice();
        heapSlice.put(5, key);
        for (HashFunction function : HashFunction.values()) {
            int expected = function.hash(key);
            assertEquals(expected, function.hash(direct, offset, key.length), function + " direct " + vector);
            assertEquals(expected, function.hash(heapSlice, 5, key.length), function + " heap slice " + vector);
            assertEquals(expected, function.hash(direct.asReadOnlyBuffer(), offset, key.length),
                    function + " read-only " + vector);
            assertEquals(3, direct.position());
            assertEquals(offset + key.length + 2, direct.limit());
            assertEquals(0, heapSlice.position());
        }
    }

    @Test
    void regionBeyondLimitIsRejected() {
        ByteBuffer buf = ByteBuffer.allocate(16).limit(4);
        assertThrows(IndexOutOfBoundsException.class, () -> HashFunction.MD5.hash(buf, 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> HashFunction.FNV1A_64.hash(buf, 2, 3));
    }

    @Test
    void crcAndMd5AgreeWithTheJdk() throws Exception {
        Random random = new Random(42);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        for (int i = 0; i < 500; i++) {
            byte[] key = new byte[random.nextInt(300)];
            random.nextBytes(key);
            CRC32 crc = new CRC32();
            crc.update(key);
            assertEquals(crc.getValue(), Integer.toUnsignedLong(HashFunction.CRC32A.hash(key)));
            assertEquals((crc.getValue() >>> 16) & 0x7fff, HashFunction.CRC32.hash(key));
            byte[] digest = md5.digest(key);
            int littleEndianWord0 = ByteBuffer.wrap(digest).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0);
            assertEquals(littleEndianWord0, HashFunction.MD5.hash(key));
        }
    }

    @Test
    void md5KeysLongerThanTheScratchSpaceOnADirectBuffer() {
        byte[] key = repeat('k', 5000);
        ByteBuffer direct = ByteBuffer.allocateDirect(key.length).put(key);
        assertEquals(HashFunction.MD5.hash(key), HashFunction.MD5.hash(direct, 0, key.length));
    }

    @Test
    void configNames() {
        String[] names = {"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
            "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"};
        for (int i = 0; i < names.length; i++) {
            assertEquals(names[i], COLUMNS[i].configName());
            assertEquals(Optional.of(COLUMNS[i]), HashFunction.byConfigName(names[i]));
        }
        assertEquals(Optional.empty(), HashFunction.byConfigName("sha1"));
        assertEquals(Optional.empty(), HashFunction.byConfigName("MD5"));
        assertEquals(Optional.empty(), HashFunction.byConfigName(""));
        assertEquals(Optional.empty(), HashFunction.byConfigName(null));
    }

    @Test
    void concurrentHashingFromManyThreads() throws Exception {
        List<Vector> vectors = allVectors().toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 200; round++) {
                        for (Vector vector : vectors) {
                            for (int column = 0; column < COLUMNS.length; column++) {
                                long actual = Integer.toUnsignedLong(COLUMNS[column].hash(vector.key()));
                                if (actual != vector.expected()[column]) {
                                    throw new AssertionError(COLUMNS[column] + " of " + vector + ": " + actual);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void hashingADirectBufferDoesNotAllocate() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported());
        byte[] key = text("user:1000:profile");
        ByteBuffer direct = ByteBuffer.allocateDirect(64).position(9).put(key);
        HashFunction[] functions = HashFunction.values(); // values() itself allocates a copy
        int sink = 0;
        for (HashFunction function : functions) {
            sink += function.hash(direct, 9, key.length); // warm up thread-locals
        }
        long threadId = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < 10_000; i++) {
            for (HashFunction function : functions) {
                sink += function.hash(direct, 9, key.length);
            }
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        // 120,000 calls: any per-call allocation would be megabytes.
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes (sink " + sink + ")");
    }
}
