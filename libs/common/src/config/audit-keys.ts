import { Logger } from '@nestjs/common';
import {
  generateSigningKey,
  parsePrivateKey,
  parsePublicKey,
  privateKeyPem,
  publicKeyPem,
  signingKeyFrom,
  trustedKeys,
  type SigningKey,
  type TrustedKeys,
} from '@reprise/audit-log/tree-head';
import { Environment } from './environment';
import { besideStore, configuredOrKeptSecret } from './secrets';

export interface AuditKeys {
  /** The key that signs tree heads now. */
  signing: SigningKey;
  /** Every key whose heads verification trusts: the current one and the earlier ones configured. */
  trusted: TrustedKeys;
}

export const AUDIT_KEYS = Symbol('AUDIT_KEYS');

/** The `AUDIT_KEYS` provider of an app. */
export const auditKeysProvider = {
  provide: AUDIT_KEYS,
  inject: [Environment],
  useFactory: (env: Environment) => loadAuditKeys(env),
};

/**
 * The tree-head signing key from `AUDIT_SIGNING_KEY`, or (outside production) the one generated on
 * first start and kept in `audit-signing-key.pem` next to the store; its public key is printed so an
 * auditor can keep a copy. `AUDIT_TRUSTED_PUBLIC_KEYS` adds earlier keys (after a rotation).
 */
export function loadAuditKeys(env: Environment, logger = new Logger('AuditLog')): AuditKeys {
  const file = besideStore(env, 'audit-signing-key.pem');
  const kept = configuredOrKeptSecret(env.AUDIT_SIGNING_KEY, file, () => privateKeyPem(generateSigningKey()));
  const signing = signingKeyFrom(parsePrivateKey(kept.value));
  if (!env.AUDIT_SIGNING_KEY)
    logger.warn(
      `${kept.generated ? 'generated' : 'using'} the development tree-head signing key in ${file} (set AUDIT_SIGNING_KEY in production); public key ${signing.keyId}: ${publicKeyPem(signing.publicKey).replace(/\n/g, ' ').trim()}`,
    );
  const earlier = (env.AUDIT_TRUSTED_PUBLIC_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map(parsePublicKey);
  return { signing, trusted: trustedKeys([signing.publicKey, ...earlier]) };
}

/** Where signed tree heads are also written, outside the store. */
export const treeHeadSinkDir = (env: Environment): string =>
  env.AUDIT_TREE_HEAD_SINK_DIR ?? besideStore(env, 'tree-heads');
