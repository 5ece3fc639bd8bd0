// The browser's Server-Sent Events reader (gallery/web/src/api/job-events.ts), fed byte chunks cut
// at awkward places, and the fold from events to the status a job card shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent, readServerEvents, type JobStatus } from '../../../gallery/web/src/api/job-events.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    pull(controller) {
      const next = bytes.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function collect(chunks: string[]) {
  const out = [];
  for await (const event of readServerEvents(streamOf(chunks))) out.push(event);
  return out;
}

test('events split across chunks, CRLF line ends cut between \\r and \\n, comments and multi-line data', async () => {
  const events = await collect([
    ': keep-alive\r\n\r\nevent: queued\r',
    '\ndata: {"position":2}\r\n\r',
    '\nevent: progress\ndata: {"step":1,',
    '"total":20}\n\ndata: line one\ndata: line two\n\nevent: running\n\n',
  ]);
  assert.deepEqual(events, [
    { event: 'queued', data: '{"position":2}' },
    { event: 'progress', data: '{"step":1,"total":20}' },
    { event: 'message', data: 'line one\nline two' },
  ]);
});

test('a multi-byte character cut between chunks is decoded whole', async () => {
  const bytes = new TextEncoder().encode('event: failed\ndata: {"error":"caf\u00e9"}\n\n');
  const cut = bytes.indexOf(0xc3) + 1;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, cut));
      controller.enqueue(bytes.slice(cut));
      controller.close();
    },
  });
  const events = [];
  for await (const e of readServerEvents(stream)) events.push(e);
  assert.deepEqual(events, [{ event: 'failed', data: '{"error":"café"}' }]);
});

test('events fold into the status a job card shows', () => {
  let status: JobStatus = { state: 'queued', imageIds: [] };
  const seen: string[] = [];
  for (const [event, data] of [
    ['queued', '{"position":3}'], ['running', '{}'], ['progress', '{"step":4,"total":20}'], ['mystery', '{}'], ['progress', 'not json'],
    ['done', '{"images":[{"id":"a"},{"id":"b"}]}'],
  ] as const) {
    status = applyEvent(status, { event, data });
    seen.push(`${status.state}:${status.position ?? ''}:${status.step ?? ''}/${status.total ?? ''}`);
  }
  assert.deepEqual(seen, ['queued:3:/', 'running::/', 'running::4/20', 'running::4/20', 'running::4/20', 'completed::20/20']);
  assert.deepEqual(status.imageIds, ['a', 'b']);
  assert.equal(applyEvent(status, { event: 'failed', data: '{"error":"out of memory"}' }).error, 'out of memory');
  assert.equal(applyEvent(status, { event: 'cancelled', data: '{"reason":"cancelled by request"}' }).error, 'cancelled by request');
});
