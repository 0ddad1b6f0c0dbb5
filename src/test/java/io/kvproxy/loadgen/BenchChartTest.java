package io.kvproxy.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class BenchChartTest {

    @Test
    void drawsOneBarPerRatioAndPerTargetAndLoadAsWellFormedSvg() throws Exception {
        List<BenchChart.Ratio> ratios = List.of(new BenchChart.Ratio("get90", 1.33, 0.82),
                new BenchChart.Ratio("binary", Double.NaN, 0.91));
        List<BenchChart.Latency> latencies = new ArrayList<>();
        for (int load : new int[] {50, 80}) {
            latencies.add(new BenchChart.Latency("get90", load, "direct", 80, 300, 900));
            latencies.add(new BenchChart.Latency("get90", load, "nutcracker", 150, 700, 2500));
            latencies.add(new BenchChart.Latency("get90", load, "kvproxy", 120, 500, 1800));
        }
        String svg = BenchChart.svg("kvproxy bench <shape two>", ratios, latencies);
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", document.getDocumentElement().getTagName());

        List<String> texts = new ArrayList<>();
        NodeList textNodes = document.getElementsByTagName("text");
        for (int i = 0; i < textNodes.getLength(); i++) {
            texts.add(textNodes.item(i).getTextContent());
        }
        assertTrue(texts.contains("kvproxy bench <shape two>"), texts.toString());
        // Three ratio bars (binary has no nutcracker side), each labelled with its value.
        assertTrue(texts.containsAll(List.of("1.33", "0.82", "0.91")), texts.toString());
        assertTrue(texts.containsAll(List.of("get90 50%", "get90 80%")), texts.toString());

        // One latency bar per target and load, each titled with its three percentiles.
        List<String> titles = new ArrayList<>();
        NodeList rects = document.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            NodeList title = ((Element) rects.item(i)).getElementsByTagName("title");
            if (title.getLength() == 1) {
                titles.add(title.item(0).getTextContent());
            }
        }
        assertEquals(6, titles.size(), titles.toString());
        assertEquals("get90 80% kvproxy: p50 120 µs, p99 500 µs, p999 1800 µs", titles.get(5));
        assertEquals(6, document.getElementsByTagName("circle").getLength());
    }
}
