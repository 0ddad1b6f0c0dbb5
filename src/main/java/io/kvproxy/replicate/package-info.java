/**
 * Keeping every copy of a key consistent with what clients were told: replication of accepted writes to
 * the backup cluster, and repair of servers that missed writes or hold copies that went stale.
 *
 * <pre>
 *  master accepts a write ─► WorkerReplicator.start ─► Replica ─► backup owner's connection
 *        (client may be gone)        │ owner out / queue full / rejected / no answer
 *                                    ▼
 *  stand-in write (owner out) ─► RepairLog (server, key, kind) ─► Repairs: delete on that server
 *                                                                  before it rejoins (or as soon as a
 *                                                                  backup server can take it)
 * </pre>
 *
 * Everything here belongs to one worker and runs on its thread; the health monitor reaches it only
 * through the worker's task queue. No protocol bytes: requests are made by the protocol extension.
 */
package io.kvproxy.replicate;
