package io.kvproxy.redis.resp;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;

/** A receiver that only says how its replies are to be framed, for tests that read frames themselves. */
public final class FramingReceiver implements RespReplyReceiver {

    private final boolean valueByValue;

    /** @param valueByValue one value per frame, as a split MGET's part takes them */
    public FramingReceiver(boolean valueByValue) {
        this.valueByValue = valueByValue;
    }

    @Override
    public boolean framesValues() {
        return valueByValue;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        throw new IllegalStateException("frames are read by the test itself");
    }

    @Override
    public void onFailure(BackendFailure failure) {
        throw new IllegalStateException("frames are read by the test itself");
    }
}
