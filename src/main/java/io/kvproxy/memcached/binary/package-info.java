/**
 * memcached's binary protocol: a resumable packet parser, the session that routes packets and withholds
 * what quiet opcodes ask not to see, and the backend reply framer. Backends are always sent the loud
 * opcode (GETQ as GET, SETQ as SET…), so every backend request gets exactly one reply; the session decides
 * what the client sees, as memcached 1.6 would.
 */
package io.kvproxy.memcached.binary;
