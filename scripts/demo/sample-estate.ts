/**
 * A realistic sample estate of 25 servers for the demo: two domain controllers kept apart by
 * anti-affinity, SQL Server, PostgreSQL and Oracle databases, ERP/CRM application tiers, web and proxy
 * tiers, file/mail/remote-desktop services; Windows and Linux; the three protection classes; boot
 * dependencies up to five levels deep; the three recovery methods.
 */
type Os = { family: 'windows' | 'linux'; name: string; version: string };
const WS2025: Os = { family: 'windows', name: 'Windows Server', version: '2025' };
const WS2022: Os = { family: 'windows', name: 'Windows Server', version: '2022' };
const RHEL9: Os = { family: 'linux', name: 'Red Hat Enterprise Linux', version: '9' };
const UBUNTU: Os = { family: 'linux', name: 'Ubuntu', version: '24.04' };
const DEBIAN: Os = { family: 'linux', name: 'Debian', version: '12' };

interface Sample {
  hostname: string;
  os: Os;
  vcpu: number;
  ramGiB: number;
  disks: Array<[string, number]>;
  protectionClass: 'drp' | 'backup-with-tests' | 'backup-only';
  dependsOn?: string[];
  rtoMinutes?: number;
  rpoMinutes?: number;
  recoveryMethod?: 'backup-restore' | 'vm-replication' | 'storage-replication';
  backupMode?: 'agent' | 'agentless';
  applications?: Array<{ kind: string; version: string }>;
  antiAffinityGroup?: string;
}

const SAMPLES: Sample[] = [
  {
    hostname: 'dc-01',
    os: WS2022,
    vcpu: 2,
    ramGiB: 8,
    disks: [['system', 80]],
    protectionClass: 'drp',
    rtoMinutes: 45,
    antiAffinityGroup: 'domain-controllers',
  },
  {
    hostname: 'dc-02',
    os: WS2022,
    vcpu: 2,
    ramGiB: 8,
    disks: [['system', 80]],
    protectionClass: 'drp',
    rtoMinutes: 45,
    antiAffinityGroup: 'domain-controllers',
  },
  {
    hostname: 'sql-01',
    os: WS2025,
    vcpu: 8,
    ramGiB: 64,
    disks: [
      ['system', 100],
      ['data', 800],
      ['logs', 200],
    ],
    protectionClass: 'drp',
    dependsOn: ['dc-01'],
    rtoMinutes: 120,
    applications: [{ kind: 'sql-server', version: '2019' }],
  },
  {
    hostname: 'sql-02',
    os: WS2025,
    vcpu: 8,
    ramGiB: 32,
    disks: [
      ['system', 100],
      ['data', 400],
    ],
    protectionClass: 'drp',
    dependsOn: ['dc-01', 'dc-02'],
    rtoMinutes: 120,
    applications: [{ kind: 'sql-server', version: '2019' }],
  },
  {
    hostname: 'pg-01',
    os: RHEL9,
    vcpu: 4,
    ramGiB: 32,
    disks: [
      ['system', 60],
      ['pgdata', 500],
    ],
    protectionClass: 'drp',
    rtoMinutes: 90,
    applications: [{ kind: 'other-database', version: 'PostgreSQL 15' }],
  },
  {
    hostname: 'ora-01',
    os: RHEL9,
    vcpu: 8,
    ramGiB: 64,
    disks: [
      ['system', 80],
      ['oradata', 1200],
    ],
    protectionClass: 'drp',
    rtoMinutes: 240,
    rpoMinutes: 15,
    recoveryMethod: 'storage-replication',
    applications: [{ kind: 'oracle', version: '19c' }],
  },
  {
    hostname: 'erp-app-01',
    os: WS2022,
    vcpu: 4,
    ramGiB: 16,
    disks: [['system', 120]],
    protectionClass: 'drp',
    dependsOn: ['sql-01'],
    rtoMinutes: 150,
  },
  {
    hostname: 'erp-app-02',
    os: WS2025,
    vcpu: 4,
    ramGiB: 16,
    disks: [['system', 120]],
    protectionClass: 'drp',
    dependsOn: ['sql-01'],
    rtoMinutes: 150,
  },
  {
    hostname: 'crm-app-01',
    os: UBUNTU,
    vcpu: 4,
    ramGiB: 16,
    disks: [['system', 80]],
    protectionClass: 'drp',
    dependsOn: ['pg-01'],
    rtoMinutes: 120,
  },
  {
    hostname: 'web-01',
    os: DEBIAN,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 40]],
    protectionClass: 'drp',
    dependsOn: ['erp-app-01', 'erp-app-02'],
    rtoMinutes: 180,
  },
  {
    hostname: 'web-02',
    os: DEBIAN,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 40]],
    protectionClass: 'drp',
    dependsOn: ['erp-app-01', 'erp-app-02'],
    rtoMinutes: 180,
  },
  {
    hostname: 'web-crm-01',
    os: DEBIAN,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 40]],
    protectionClass: 'drp',
    dependsOn: ['crm-app-01'],
    rtoMinutes: 150,
  },
  {
    hostname: 'proxy-01',
    os: DEBIAN,
    vcpu: 2,
    ramGiB: 2,
    disks: [['system', 20]],
    protectionClass: 'drp',
    dependsOn: ['web-01', 'web-02', 'web-crm-01'],
    rtoMinutes: 200,
  },
  {
    hostname: 'file-01',
    os: WS2022,
    vcpu: 4,
    ramGiB: 16,
    disks: [
      ['system', 100],
      ['shares', 600],
    ],
    protectionClass: 'drp',
    dependsOn: ['dc-01', 'dc-02'],
    rtoMinutes: 180,
  },
  {
    hostname: 'exch-01',
    os: WS2025,
    vcpu: 8,
    ramGiB: 48,
    disks: [
      ['system', 120],
      ['mailboxes', 700],
    ],
    protectionClass: 'drp',
    dependsOn: ['dc-01'],
    rtoMinutes: 180,
    applications: [{ kind: 'exchange', version: '2019' }],
  },
  {
    hostname: 'rds-01',
    os: WS2022,
    vcpu: 8,
    ramGiB: 32,
    disks: [['system', 120]],
    protectionClass: 'drp',
    dependsOn: ['dc-02', 'file-01'],
    rtoMinutes: 200,
  },
  {
    hostname: 'batch-01',
    os: WS2025,
    vcpu: 4,
    ramGiB: 8,
    disks: [['system', 80]],
    protectionClass: 'drp',
    dependsOn: ['erp-app-01', 'sql-02'],
    rtoMinutes: 240,
  },
  {
    hostname: 'mon-01',
    os: UBUNTU,
    vcpu: 2,
    ramGiB: 8,
    disks: [['system', 60]],
    protectionClass: 'drp',
    rtoMinutes: 30,
    rpoMinutes: 60,
    recoveryMethod: 'vm-replication',
  },
  {
    hostname: 'intranet-01',
    os: UBUNTU,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 60]],
    protectionClass: 'backup-with-tests',
  },
  {
    hostname: 'wiki-01',
    os: DEBIAN,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 40]],
    protectionClass: 'backup-with-tests',
  },
  {
    hostname: 'dev-01',
    os: WS2022,
    vcpu: 4,
    ramGiB: 16,
    disks: [['system', 200]],
    protectionClass: 'backup-with-tests',
  },
  {
    hostname: 'ci-01',
    os: UBUNTU,
    vcpu: 4,
    ramGiB: 8,
    disks: [['system', 150]],
    protectionClass: 'backup-with-tests',
  },
  {
    hostname: 'archive-01',
    os: { family: 'windows', name: 'Windows Server', version: '2008 R2' },
    vcpu: 2,
    ramGiB: 4,
    disks: [
      ['system', 60],
      ['archive', 900],
    ],
    protectionClass: 'backup-only',
    backupMode: 'agentless',
  },
  {
    hostname: 'legacy-01',
    os: { family: 'linux', name: 'CentOS', version: '6' },
    vcpu: 1,
    ramGiB: 2,
    disks: [['system', 40]],
    protectionClass: 'backup-only',
    backupMode: 'agentless',
  },
  {
    hostname: 'print-01',
    os: WS2025,
    vcpu: 2,
    ramGiB: 4,
    disks: [['system', 60]],
    protectionClass: 'backup-only',
  },
];

/** The estate as the bulk-import body (`POST /servers:import`). */
export function sampleEstate() {
  return SAMPLES.map((s) => ({
    hostname: s.hostname,
    kind: 'virtual',
    platform: 'vmware',
    os: s.os,
    backupMode: s.backupMode ?? 'agent',
    applications: s.applications ?? [],
    template: { vcpu: s.vcpu, ramGiB: s.ramGiB },
    disks: s.disks.map(([name, sizeGiB]) => ({ name, sizeGiB })),
    protectionClass: s.protectionClass,
    dependsOn: s.dependsOn ?? [],
    rtoMinutes: s.rtoMinutes ?? 240,
    rpoMinutes: s.rpoMinutes ?? 1440,
    recoveryMethod: s.recoveryMethod ?? 'backup-restore',
    ...(s.antiAffinityGroup ? { antiAffinityGroup: s.antiAffinityGroup } : {}),
  }));
}
