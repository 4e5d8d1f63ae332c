import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { PERSONAL_DATA } from '@reprise/domain/personal-data';
import { leafHashOf } from '@reprise/audit-log/leaf';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { isEnvelope } from './envelope';
import { PERSONAL_DATA_ERASED, PersonalDataEventStore } from './personal-data-event-store';
import { PersonalDataProtector } from './personal-data-protector';
import { SqliteSubjectKeys } from './subject-keys';

const meta = {
  actor: 'api-key:k',
  role: 'dr-manager',
  tenantId: 't-1',
  correlationId: 'c',
  causationId: null,
};
const person = fc.record({
  name: fc.string({ minLength: 1, maxLength: 40 }),
  email: fc.emailAddress(),
  phone: fc.option(fc.stringMatching(/^\+[0-9 ]{6,20}$/), { nil: null }),
});

describe('crypto-shredding of personal data (real SQLite files)', () => {
  let dir: string;
  let keys: SqliteSubjectKeys;
  let protector: PersonalDataProtector;
  let raw: SqliteEventStore;
  let store: PersonalDataEventStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-privacy-'));
    keys = new SqliteSubjectKeys({ path: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    protector = new PersonalDataProtector(keys, PERSONAL_DATA);
    raw = new SqliteEventStore({
      path: join(dir, 'events.db'),
      clock: new ManualClock(new Date('2026-03-01T10:00:00Z')),
    });
    store = new PersonalDataEventStore(raw, protector);
  });
  afterEach(async () => {
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals exactly the declared fields, stores and hashes the ciphertext, and reveals them on read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(person, { selector: (p) => p.email.toLowerCase(), minLength: 1, maxLength: 5 }),
        async (persons) => {
          const data = { persons, added: persons.map((p) => p.email), removed: [], note: 'kept in clear' };
          const stream = `tenant/t-1/plan-${Math.random()}`;
          const appended = await store.append(stream, [{ type: 'AuthorisedPersonsChanged', data }], {
            expectedRevision: 'no-stream',
            metadata: meta,
          });
          const [stored] = await raw.readStream(stream);
          const sealed = stored.data as typeof data;
          for (const [i, p] of sealed.persons.entries()) {
            expect(isEnvelope(p.name)).toBe(true);
            expect(isEnvelope(p.email)).toBe(true);
            expect(p.phone === null ? persons[i].phone === null : isEnvelope(p.phone)).toBe(true);
          }
          expect(sealed.added.every(isEnvelope)).toBe(true);
          expect(sealed.note).toBe('kept in clear');
          expect(stored.hash).toBe(leafHashOf(stored));
          // The caller's data was not changed, and reads (and the append's answer) are in clear.
          expect(data.persons).toEqual(persons);
          expect((await store.readStream(stream))[0].data).toEqual(data);
          expect(appended.events[0].data).toEqual(data);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('one key per person: erasing one leaves the others readable, sealed values stay sealed', async () => {
    const claire = { name: 'Claire', email: 'Claire@Example.com', phone: '+33 1 02 03 04 05' };
    const marc = { name: 'Marc', email: 'marc@example.com', phone: null };
    await store.append(
      'tenant/t-1/plan',
      [{ type: 'AuthorisedPersonsChanged', data: { persons: [claire, marc], added: [], removed: [] } }],
      {
        expectedRevision: 'no-stream',
        metadata: meta,
      },
    );
    await store.append(
      'tenant/t-1/activation/a',
      [
        {
          type: 'ActivationRequested',
          data: { requestedBy: { name: 'Claire', email: 'claire@example.com' } },
        },
      ],
      {
        expectedRevision: 'no-stream',
        metadata: meta,
      },
    );
    // The same person (e-mail compared in lower case) in the same tenant: the same subject.
    const subject = await keys.find('t-1', 'claire@example.com');
    expect(subject).not.toBeNull();
    const [plan] = await raw.readStream('tenant/t-1/plan');
    const [requested] = await raw.readStream('tenant/t-1/activation/a');
    const subjectOf = (v: string) => v.split(':')[2];
    expect(subjectOf((plan.data as { persons: { email: string }[] }).persons[0].email)).toBe(
      subject?.subjectId,
    );
    expect(subjectOf((requested.data as { requestedBy: { email: string } }).requestedBy.email)).toBe(
      subject?.subjectId,
    );
    // Another tenant: another subject.
    await store.append(
      'tenant/t-2/plan',
      [{ type: 'AuthorisedPersonsChanged', data: { persons: [claire], added: [], removed: [] } }],
      {
        expectedRevision: 'no-stream',
        metadata: { ...meta, tenantId: 't-2' },
      },
    );
    expect((await keys.find('t-2', claire.email))?.subjectId).not.toBe(subject?.subjectId);

    expect(await protector.destroyKey(subject!.subjectId)).toBe(true);
    expect(await protector.destroyKey(subject!.subjectId)).toBe(false);
    const after = (await store.readStream('tenant/t-1/plan'))[0].data as { persons: unknown[] };
    expect(after.persons).toEqual([{ name: 'erased', email: 'erased', phone: 'erased' }, marc]);
    expect((await store.readStream('tenant/t-1/activation/a'))[0].data).toEqual({
      requestedBy: { name: 'erased', email: 'erased' },
    });
    expect(await keys.find('t-1', claire.email)).toBeNull();
    // Copying an erased person into a new event keeps it erased; nothing is re-created from it.
    await store.append(
      'tenant/t-1/activation/a',
      [{ type: 'CloseRequested', data: { by: { name: 'erased', email: 'erased' } } }],
      {
        expectedRevision: 0,
        metadata: meta,
      },
    );
    expect(await keys.find('t-1', 'erased')).toBeNull();
    // The key store never held an e-mail; the destroyed key is gone from the file.
    const file = readFileSync(join(dir, 'keys.db'));
    expect(file.includes('claire')).toBe(false);
    expect(file.includes('Claire')).toBe(false);
  });

  it('subscribers see an erasure only once it is effective', async () => {
    await store.append(
      'tenant/t-1/activation/b',
      [{ type: 'ActivationRequested', data: { requestedBy: { name: 'Eve', email: 'eve@example.com' } } }],
      {
        expectedRevision: 'no-stream',
        metadata: meta,
      },
    );
    const subject = (await keys.find('t-1', 'eve@example.com'))!.subjectId;
    // Recorded but not yet destroyed (a crash between the two): a subscriber finishes the job.
    await raw.append(
      `tenant/t-1/privacy/${subject}`,
      [{ type: PERSONAL_DATA_ERASED, data: { subjectId: subject, at: 'now' } }],
      {
        expectedRevision: 'no-stream',
        metadata: meta,
      },
    );
    const seen: unknown[] = [];
    const sub = store.subscribe({
      subscriberId: 'test',
      streamPrefixes: ['tenant/t-1/'],
      handler: async (e) => {
        if (e.type === PERSONAL_DATA_ERASED)
          seen.push((await store.readStream('tenant/t-1/activation/b'))[0].data);
      },
    });
    await sub.caughtUp;
    await sub.drain();
    await sub.stop();
    expect(seen).toEqual([{ requestedBy: { name: 'erased', email: 'erased' } }]);
    expect(await keys.find('t-1', 'eve@example.com')).toBeNull();
  });
});
