package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The meta commands through the text parser, each stream fed whole and split at every byte: what the
 * proxy answers itself (as memcached 1.6.18 does, recorded from a real server), and the flags it reads for
 * routing, quiet mode and replicas. Flag errors are the server's, so a line with a bad flag is a request.
 */
@Timeout(30)
class MetaRequestParserTest {

    /** The meta fields of a parsed request, as the parser test's outcome line shows them. */
    static String flagsOf(TextRequest request) {
        MetaRequest meta = request.meta;
        StringBuilder text = new StringBuilder(" {");
        if (meta.quiet) {
            text.append(" q").append(meta.quietTokens).append(meta.quietStandIn() == 0 ? "-" : String.valueOf((char) meta.quietStandIn()));
        }
        text.append(meta.base64Key ? " b" : "").append(meta.returnsCas ? " c" : "").append(meta.invalidates ? " I" : "");
        token(text, "T", meta.ttlToken);
        token(text, "N", meta.vivifyToken);
        token(text, "R", meta.recacheToken);
        token(text, "F", meta.clientFlagsToken);
        token(text, "M", meta.modeToken);
        token(text, "D", meta.deltaToken);
        return text.append(" }").toString();
    }

    private static void token(StringBuilder text, String flag, int token) {
        if (token >= 0) {
            text.append(' ').append(flag).append('@').append(token);
        }
    }

    private static void assertOutcomes(String stream, String... expected) {
        assertEquals(List.of(expected), TextRequestParserTest.parseEverySplit(stream));
    }

    @Test
    void keyedCommandsReadTheirFlags() {
        assertOutcomes("mg foo v\r\nmg foo s v f t c h l k O42 q\r\nmg  foo   v  \r\n",
                "MG foo v { }", "MG foo s v f t c h l k O42 q { q1P c }", "MG foo v { }");
        assertOutcomes("mg k N30 T10 R5 v\r\nmg Zm9v b k\r\nme k\r\nme Zm9v b\r\n",
                "MG k N30 T10 R5 v { T@3 N@2 R@4 }", "MG Zm9v b k { b }", "ME k { }", "ME Zm9v b { b }");
        assertOutcomes("md k C12 I T30 q\r\nma k N0 J5 D2 MD T9 q v\r\n",
                "MD k C12 I T30 q { q1P I T@4 }", "MA k N0 J5 D2 MD T9 q v { q1P T@6 N@2 M@5 D@4 }");
        // Only a flag's first use counts: the server refuses the duplicate anyway.
        assertOutcomes("mg k T1 T2\r\n", "MG k T1 T2 { T@2 }");
    }

    @Test
    void theLoudStandInForQNeverCollidesWithTheLine() {
        assertOutcomes("mg k q Pa\r\nmg k q Pa La\r\nmg k q q Pa La\r\nmg k q La\r\nmg k qx\r\n",
                "MG k q Pa { q1L }", "MG k q Pa La { q1- }", "MG k q q Pa La { q2P }", "MG k q La { q1P }", "MG k qx { q1P }");
    }

    @Test
    void metaSetTakesItsDataBlockWhateverItsFlags() {
        assertOutcomes("ms k 5 T10 F3 MA q\r\nhello\r\nms k 0\r\n\r\nms Zm9v 2 b c\r\nhi\r\n",
                "MS k 5 T10 F3 MA q { q1P T@3 F@4 M@5 } <hello>", "MS k 0 { } <>", "MS Zm9v 2 b c { b c } <hi>");
        // A bad flag, mode or data chunk is the server's to answer: it reads the block first, so the proxy
        // sends it whole (memcached took "hixx" for the block and then its CRLF for an empty line).
        assertOutcomes("ms k 2 Mz\r\nhixx\r\nms k 1\r\nab\r\nmn\r\n", "MS k 2 Mz { M@3 } <hi>", "ERROR", "MS k 1 { } <a>", "ERROR", "MN");
        assertOutcomes("ms k +1\r\nx\r\nms k 01\r\ny\r\n", "MS k +1 { } <x>", "MS k 01 { } <y>");
        // The length as strtol reads it: white space before it, and after it anything behind white space.
        assertOutcomes("ms k \t2\r\nhi\r\nms k 2\tx\r\nhi\r\nms k 0\r MP\r\n\r\nms k 2\r\r\nhi\r\nms k -0\r\n\r\n",
                "MS k \t2 { } <hi>", "MS k 2\tx { } <hi>", "MS k 0\r MP { M@3 } <>", "MS k 2\r { } <hi>", "MS k -0 { } <>");
        assertOutcomes("ms k 2x\r\nhi\r\nms k \t\r\n", TextRequestParser.BAD_FORMAT, "ERROR", TextRequestParser.BAD_FORMAT);
    }

    @Test
    void lineErrorsReadNoDataBlock() {
        String longKey = "k".repeat(251);
        assertOutcomes("ms\r\nms k\r\nms k x\r\nhi\r\nms k -1\r\nhi\r\n",
                TextRequestParser.ERROR, TextRequestParser.BAD_FORMAT, TextRequestParser.BAD_FORMAT, "ERROR",
                TextRequestParser.BAD_FORMAT, "ERROR");
        assertOutcomes("ms " + longKey + " 2\r\nhi\r\n", TextRequestParser.BAD_FORMAT, "ERROR");
        assertOutcomes("ms k 1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\nx\r\n", MetaRequestParser.MS_FLAGS_TOO_LONG, "ERROR");
        // 19 tokens is not too many for ms: the server says what is wrong with the flags, after the block.
        assertOutcomes("ms k 1 T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 T15 T16\r\nx\r\n",
                "MS k 1 T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 T15 T16 { T@3 } <x>");
        // A length memcached would keep only the low 32 bits of is refused whole, as for set.
        assertOutcomes("ms k 4294967297\r\nx\r\n", TextRequestParser.BAD_FORMAT, "ERROR");
        // Without a key: mg, md, ma are unknown commands to memcached; me is a bad line.
        assertOutcomes("mg\r\nmd\r\nma\r\nme\r\nmn\r\nmn foo\r\n", "ERROR", "ERROR", "ERROR", TextRequestParser.BAD_FORMAT, "MN", "MN foo");
        // A long key or any flag is the server's to judge: the line goes to it.
        assertOutcomes("mg " + longKey + " v\r\n", "MG " + longKey + " v { }");
    }

    @Test
    void aMetaValueOverMaxPacketIsSwallowedAndUnlinksTheKeyInEveryMode() {
        String big = "x".repeat(1025);
        assertOutcomes("ms k 1025 MA\r\n" + big + "\r\nmn\r\n", TextRequestParser.TOO_LARGE + " +unlink", "MN");
        assertOutcomes("ms k 1025 q\r\n" + big + "\r\nmn\r\n", TextRequestParser.TOO_LARGE + " +unlink", "MN");
    }
}
