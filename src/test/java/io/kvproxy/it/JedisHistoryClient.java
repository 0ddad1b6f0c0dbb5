package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Jedis, one command at a time as an application uses it: SET, DEL, INCRBY of its own keys, MSET of
 * several, GET and MGET of random keys. An error reply is a {@link JedisDataException} (a write of
 * unknown outcome when it is the proxy's failure error); a connection that breaks or a reply that does
 * not come in time is a {@link JedisConnectionException}, which no failure of a server excuses.
 */
final class JedisHistoryClient extends HistoryClient {

    JedisHistoryClient(String name, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
    }

    @Override
    void runBatches() {
        Jedis jedis = null;
        while (running.get()) {
            List<Kind> kinds = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            List<Long> seqs = new ArrayList<>();
            List<String> values = new ArrayList<>();
            int pick = random.nextInt(10);
            if (pick < 5) {
                planWrite(randomOwnKey(), kinds, keys, seqs, values);
            } else if (pick < 6) {
                for (KeySpec spec : ownRegisters(2)) {
                    long seq = nextSeq();
                    kinds.add(Kind.SET);
                    keys.add(spec.key());
                    seqs.add(seq);
                    values.add(valueFor(seq));
                }
            } else {
                for (String key : randomKeys(1 + random.nextInt(5))) {
                    kinds.add(Kind.READ);
                    keys.add(key);
                    seqs.add(0L);
                    values.add(null);
                }
            }
            long invoke = System.nanoTime();
            try {
                if (jedis == null) {
                    jedis = new Jedis("127.0.0.1", port, REPLY_TIMEOUT_MILLIS);
                }
                invoke = System.nanoTime();
                call(jedis, kinds, keys, seqs, values, invoke);
            } catch (JedisDataException e) {
                if (!RespHistoryClient.isFailure(new RespHistoryClient.RespReplies.Reply('-', e.getMessage(), null))) {
                    history.anomaly(name, keys.get(0), kinds + " " + keys + " answered \"" + e.getMessage() + "\"");
                }
                for (int i = 0; i < keys.size(); i++) {
                    record(kinds.get(i), keys.get(i), seqs.get(i), values.get(i), invoke, Outcome.ERROR);
                }
            } catch (JedisConnectionException | WrongReply e) {
                history.anomaly(name, keys.get(0), kinds + " " + keys + " not answered: " + e);
                for (int i = 0; i < keys.size(); i++) {
                    record(kinds.get(i), keys.get(i), seqs.get(i), values.get(i), invoke, kinds.get(i) == Kind.READ ? Outcome.ERROR : Outcome.NO_REPLY);
                }
                jedis.close();
                jedis = null;
            }
        }
        if (jedis != null) {
            jedis.close();
        }
    }

    private void planWrite(KeySpec spec, List<Kind> kinds, List<String> keys, List<Long> seqs, List<String> values) {
        long seq = nextSeq();
        keys.add(spec.key());
        seqs.add(seq);
        if (spec.kind() == KeyKind.REGISTER && random.nextInt(4) == 0) {
            kinds.add(Kind.DELETE);
            values.add(null);
        } else if (spec.kind() == KeyKind.REGISTER || needsReset.remove(spec.key())) {
            kinds.add(Kind.SET);
            values.add(spec.kind() == KeyKind.REGISTER ? valueFor(seq) : Long.toString(History.counterBase(spec.kind(), seq)));
        } else {
            kinds.add(Kind.INCR);
            values.add(null);
        }
    }

    private List<KeySpec> ownRegisters(int count) {
        List<KeySpec> registers = ownKeys.stream().filter(spec -> spec.kind() == KeyKind.REGISTER).toList();
        List<KeySpec> chosen = new ArrayList<>();
        while (chosen.size() < Math.min(count, registers.size())) {
            KeySpec spec = registers.get(random.nextInt(registers.size()));
            if (!chosen.contains(spec)) {
                chosen.add(spec);
            }
        }
        return chosen;
    }

    private void call(Jedis jedis, List<Kind> kinds, List<String> keys, List<Long> seqs, List<String> values, long invoke)
            throws WrongReply {
        Kind kind = kinds.get(0);
        String key = keys.get(0);
        if (kind == Kind.READ) {
            List<String> got = jedis.mget(keys.toArray(String[]::new));
            if (got.size() != keys.size()) {
                throw new WrongReply("MGET " + keys + " answered " + got);
            }
            Map<String, String> hits = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                if (got.get(i) != null) {
                    hits.put(keys.get(i), got.get(i));
                }
            }
            recordMultiGet(keys, hits, invoke);
        } else if (kinds.size() > 1) {
            List<String> pairs = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                pairs.add(keys.get(i));
                pairs.add(values.get(i));
            }
            String reply = jedis.mset(pairs.toArray(String[]::new));
            for (int i = 0; i < keys.size(); i++) {
                recordWrite(Kind.SET, keys.get(i), seqs.get(i), values.get(i), false, "OK".equals(reply) ? WriteReply.DONE : WriteReply.OTHER,
                        null, invoke, reply);
            }
        } else if (kind == Kind.SET) {
            String reply = jedis.set(key, values.get(0));
            recordWrite(kind, key, seqs.get(0), values.get(0), false, "OK".equals(reply) ? WriteReply.DONE : WriteReply.OTHER, null, invoke, reply);
        } else if (kind == Kind.DELETE) {
            jedis.del(key);
            recordWrite(kind, key, seqs.get(0), null, false, WriteReply.DONE, null, invoke, "");
        } else {
            long counter = jedis.incrBy(key, 1 + random.nextInt(5));
            recordWrite(kind, key, seqs.get(0), null, false, WriteReply.DONE, Long.toString(counter), invoke, "");
        }
    }
}
