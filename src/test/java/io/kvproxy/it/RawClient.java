package io.kvproxy.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain socket speaking bytes, for the tests that must control every byte on the wire. */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    RawClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads until the bytes received end with {@code suffix}; returns them all (and forgets them). */
    String readUntil(String suffix) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        while (!pending.toString(StandardCharsets.ISO_8859_1).endsWith(suffix)) {
            int read = in.read(buffer);
            if (read < 0) {
                throw new IOException("connection closed after: " + pending.toString(StandardCharsets.ISO_8859_1));
            }
            pending.write(buffer, 0, read);
        }
        String text = pending.toString(StandardCharsets.ISO_8859_1);
        pending.reset();
        return text;
    }

    /** Reads exactly {@code length} bytes. */
    String readExactly(int length) throws IOException {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw new IOException("connection closed after " + bytes.length + " of " + length + " bytes");
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** One request, one reply ending in {@code suffix}. */
    String call(String request, String suffix) throws IOException {
        send(request);
        return readUntil(suffix);
    }

    /** Everything the server sends until it closes the connection (fails if it does not within the read timeout). */
    String readToEnd() throws IOException {
        byte[] buffer = new byte[64 * 1024];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                pending.write(buffer, 0, read);
            }
        } catch (java.net.SocketException e) {
            // A close with our unread bytes still in the server's socket is a reset: closed all the same.
            if (!String.valueOf(e.getMessage()).contains("reset")) {
                throw e;
            }
        }
        String text = pending.toString(StandardCharsets.ISO_8859_1);
        pending.reset();
        return text;
    }

    /** Whether the server closed the connection (reads to end of stream, failing on unexpected bytes). */
    boolean isClosedByPeer() throws IOException {
        try {
            int read = in.read();
            if (read >= 0) {
                throw new IOException("expected the connection to close, got byte " + read);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    void setReadTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
