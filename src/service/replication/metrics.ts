/**
 * The replica's Prometheus metrics, on the app's registry: applied stream position, lag (records
 * and time from publication to application), whether it holds the lease, retained writes.
 */
import { Gauge, type Registry, Summary } from 'prom-client';
import type { Replica } from './replica.ts';

/** Registers the replication metrics of `replica` on `registry`. */
export function registerReplicationMetrics(registry: Registry, replica: Replica): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge(
    'session_replication_applied_position',
    'Stream position of the latest record applied here.',
    () => replica.status().applied,
  );
  gauge(
    'session_replication_lag_records',
    'Records in the stream not yet applied here.',
    () => replica.status().lag,
  );
  gauge('session_replication_holder', '1 while this replica holds the lease.', () =>
    replica.status().holder ? 1 : 0,
  );
  gauge(
    'session_replication_retained_writes',
    'Writes retained until the lease holder reports them durable.',
    () => replica.status().retained,
  );
  gauge(
    'session_replication_persisted_position',
    'Latest stream position the lease holder reported durable.',
    () => replica.status().persisted,
  );
  const lag = new Summary({
    name: 'session_replication_apply_lag_seconds',
    help: "Wall time from a record's publication to its application here.",
    percentiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 5,
    registers: [registry],
  });
  const dataLag = new Summary({
    name: 'session_replication_data_lag_seconds',
    help: "Wall time from a session data record's publication (ingest, replay bars) to its application here.",
    percentiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 5,
    registers: [registry],
  });
  replica.onApplied = (ms, data) => {
    lag.observe(ms / 1000);
    if (data) dataLag.observe(ms / 1000);
  };
}
