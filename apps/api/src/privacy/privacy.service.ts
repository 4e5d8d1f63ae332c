import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { readLog } from '@reprise/audit-log/log-source';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { notFound, validationError } from '@reprise/domain/shared/errors';
import { streams, tenantLogPrefixes } from '@reprise/domain/shared/streams';
import { RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { PERSONAL_DATA_ERASED } from '@reprise/privacy/personal-data-event-store';
import { PersonalDataProtector } from '@reprise/privacy/personal-data-protector';
import { normaliseEmail, SUBJECT_KEYS, type SubjectKeys } from '@reprise/privacy/subject-keys';
import { ActivationViews } from '../activations/activation-views.service';
import { Actor, metadataFor } from '../auth/actor';

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/**
 * A person's rights over their personal data (name, e-mail, phone) in a tenant: erasure by
 * crypto-shredding (their key is destroyed; every copy then reads `erased`, and the log, which hashed
 * the ciphertext, still verifies) and export of what is held about them.
 */
@Injectable()
export class PrivacyService {
  constructor(
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    @Inject(SUBJECT_KEYS) private readonly keys: SubjectKeys,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly protector: PersonalDataProtector,
    private readonly views: ActivationViews,
  ) {}

  private async subjectOf(actor: Actor, email: unknown): Promise<string> {
    if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email.trim()))
      throw validationError('invalid-email', 'email must be an e-mail address', [
        { field: 'email', message: 'must be an e-mail address' },
      ]);
    const subject = await this.keys.find(actor.tenantId, normaliseEmail(email));
    // Never echo the address: it may be the very data being erased.
    if (!subject) throw notFound('personal-data', 'for this e-mail (none is held, or it was erased)');
    return subject.subjectId;
  }

  /**
   * Records the erasure (`PersonalDataErased`, naming only the random subject id), then destroys the
   * key. A crash in between is finished by whichever process follows the event first.
   */
  async erase(actor: Actor, request: Request, email: unknown) {
    const subjectId = await this.subjectOf(actor, email);
    const stream = streams.privacy(actor.tenantId, subjectId);
    const at = this.clock.now().toISOString();
    const recorded = await this.raw.readStream(stream);
    const already = recorded.find((e) => e.type === PERSONAL_DATA_ERASED);
    const position = already
      ? already.position
      : (
          await this.raw.append(stream, [{ type: PERSONAL_DATA_ERASED, data: { subjectId, at } }], {
            expectedRevision: recorded.length ? recorded[recorded.length - 1].revision : 'no-stream',
            metadata: metadataFor(actor, request),
          })
        ).position;
    await this.protector.destroyKey(subjectId);
    await this.views.waitFor(position);
    return {
      status: 'erased',
      subjectId,
      erasedAt: already ? (already.data as { at: string }).at : at,
      seq: position,
    };
  }

  /** Everything held about one person: each event that holds their data, with the fields in clear. */
  async export(actor: Actor, email: unknown) {
    const subjectId = await this.subjectOf(actor, email);
    const items = [];
    for await (const entry of readLog(this.raw, tenantLogPrefixes(actor.tenantId))) {
      const data = 'dataJson' in entry ? JSON.parse(entry.dataJson) : entry.data;
      if (!JSON.stringify(data).includes(subjectId)) continue;
      const fields = await this.protector.disclose(data, subjectId);
      if (!fields.length) continue;
      const metadata = 'metadataJson' in entry ? JSON.parse(entry.metadataJson) : entry.metadata;
      items.push({
        seq: entry.position,
        stream: entry.stream,
        type: entry.type,
        at: metadata.recordedAt,
        fields,
      });
    }
    return {
      email: normaliseEmail(email as string),
      subjectId,
      generatedAt: this.clock.now().toISOString(),
      items,
    };
  }
}
