import type { ServerSpec } from '../server';

/** A valid server spec (an agent-protected Ubuntu 24.04 VM in the drp class), with overrides. */
export const serverSpec = (hostname: string, overrides: Partial<ServerSpec> = {}): ServerSpec => ({
  hostname,
  kind: 'virtual',
  platform: 'vmware',
  os: { family: 'linux', name: 'Ubuntu', version: '24.04' },
  backupMode: 'agent',
  applications: [],
  template: { vcpu: 2, ramGiB: 4 },
  disks: [{ name: 'system', sizeGiB: 50 }],
  protectionClass: 'drp',
  dependsOn: [],
  rtoMinutes: null,
  rpoMinutes: null,
  recoveryMethod: 'backup-restore',
  ...overrides,
});
