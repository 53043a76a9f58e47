import { parentPort, workerData } from 'node:worker_threads';
import { buildStrategy } from '../strategies/build.ts';
import { createTraffic, replayArrivals } from '../traffic/index.ts';
import {
  type FromWorker,
  serializeError,
  type ToWorker,
  type WorkerJob,
  type WorkerRunData,
} from './parallel.ts';
import { runStrategySim } from './run-strategy.ts';

/**
 * Worker-thread entry (see parallel.ts): runs strategies one at a time, as the main thread sends them,
 * exactly as the sequential path does (`runStrategySim` with a freshly built strategy), and posts back
 * the same per-strategy data. Globals the openai SDK adapter virtualises are this thread's own.
 */
const port = parentPort;
if (!port) throw new Error('strategy-worker.ts runs as a worker thread (see runInWorkers in parallel.ts)');

const { traffic: trafficSpec, progress, ...settings } = workerData as WorkerRunData;
// The same trace in every thread: arrivals are a pure function of (spec, duration, seed). Drawn once per
// thread, replayed for the strategies after the first.
const traffic = replayArrivals(createTraffic(trafficSpec, settings.durationMs, settings.seed));
// One per thread: after an abort the main thread sends nothing more.
const ac = new AbortController();

const post = (m: FromWorker) => port.postMessage(m);

async function run(job: WorkerJob): Promise<void> {
  const { index } = job;
  try {
    if (ac.signal.aborted) return post({ type: 'skipped', index });
    const strategy = await buildStrategy(
      job.spec.config,
      job.spec.baseDir !== undefined ? { baseDir: job.spec.baseDir } : {},
    );
    // Checked again after the (possibly module-loading) build. From here to runStrategySim listening on
    // the signal there is no macrotask boundary, so no abort message can slip in between.
    if (ac.signal.aborted) return post({ type: 'skipped', index });
    const result = await runStrategySim({
      strategy,
      usesGlobals: job.usesGlobals,
      traffic,
      ...settings,
      signal: ac.signal,
      ...(progress ? { onProgress: (progress) => post({ type: 'progress', index, progress }) } : {}),
    });
    post({ type: 'done', index, result });
  } catch (e) {
    post({ type: 'failed', index, error: serializeError(e) });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'abort') ac.abort();
  else void run(m.job);
});
