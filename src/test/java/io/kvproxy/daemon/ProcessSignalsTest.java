package io.kvproxy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcessSignalsTest {

    @Test
    void aFailedHangupStepDoesNotKeepTheNextFromRunning() {
        List<String> ran = new ArrayList<>();
        ProcessSignals.hangup(List.of(
                new ProcessSignals.HangupStep("reopen the log file", () -> {
                    ran.add("reopen");
                    throw new IOException("disk full");
                }),
                new ProcessSignals.HangupStep("reload the configuration", () -> ran.add("reload"))));
        assertEquals(List.of("reopen", "reload"), ran);
    }
}
