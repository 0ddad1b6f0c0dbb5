package io.kvproxy.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Points logback at {@code log_path} with {@code log_level}, in the original kvproxy's line format with
 * the instance's name added (instances of one install may be told to share a log), and reopens that file
 * on request (SIGHUP), so that a rotation that moved or deleted it gets a new one.
 */
final class LogSetup {

    private static final String APPENDER_NAME = "file";

    private LogSetup() {
    }

    static void toFile(Path file, String level, String instance) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        // The name is quoted into the pattern: it is a file name, and % or ( would read as conversion words.
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} [%-5level] [" + instance.replaceAll("[%()\\\\]", "_") + "] %logger{0}: %msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER_NAME);
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
        root.setLevel(levelOf(level));
    }

    /**
     * Closes the log file and opens {@code log_path} anew (creating it when it was moved or deleted).
     * Lines logged meanwhile wait on the appender's lock, so none is lost or split between the files.
     */
    static void reopen() throws IOException {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        if (!(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER_NAME) instanceof FileAppender<ILoggingEvent> appender)) {
            throw new IllegalStateException("no log file to reopen: logging was not set up with toFile");
        }
        appender.openFile(appender.getFile());
    }

    /** Sets the level lines must reach to be written; takes effect at once on every thread. */
    static void setLevel(String level) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(levelOf(level));
    }

    /** fatal has no logback level of its own: it keeps only errors, which is what fatal means here. */
    static Level levelOf(String level) {
        return switch (level) {
            case "fatal", "error" -> Level.ERROR;
            case "warn" -> Level.WARN;
            case "info" -> Level.INFO;
            case "debug" -> Level.DEBUG;
            default -> throw new IllegalArgumentException("log level " + level);
        };
    }
}
