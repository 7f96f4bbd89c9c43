import { parentPort } from 'node:worker_threads';
import { DoctorError } from '../../connect/doctor-error.js';
import { analyzeReader, newAnalysis } from '../analyze-logs.js';
import { readFileRange } from '../read/read-file-range.js';
import { readLogRecords } from '../read/read-log-records.js';
import type { WorkReply, WorkRequest } from './worker-protocol.js';

// A worker thread of `logs --jobs`: analyses the units it is sent, one at a time, and sends back what it found.
parentPort?.on('message', (request: WorkRequest) => {
  void analyzeUnit(request).then((reply) => parentPort?.postMessage(reply));
});

async function analyzeUnit({ unit, options }: WorkRequest): Promise<WorkReply> {
  try {
    const state = newAnalysis(options);
    const readOptions = { ...options, lane: state.lane };
    const reader = unit.range ? readFileRange(unit.file, unit.range, readOptions) : readLogRecords([unit.file], readOptions);
    const part = await analyzeReader(reader, options, state);
    return {
      ok: true,
      part: { events: part.events, eventsNotKept: part.eventsNotKept, summarizer: part.summarizer.state(), statements: part.statements.state(), read: reader.stats },
    };
  } catch (error) {
    return error instanceof DoctorError ? { ok: false, code: error.code, message: error.message } : { ok: false, code: 'internal', message: String(error) };
  }
}
