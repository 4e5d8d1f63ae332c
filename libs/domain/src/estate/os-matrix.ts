/**
 * The supported OS matrix for agent backup mode and the application agents that exist.
 * Anything outside the matrix must use agentless mode (VMware/Hyper-V snapshots) or is rejected.
 */
export type OsFamily = 'windows' | 'linux';
export interface OperatingSystem {
  family: OsFamily;
  name: string;
  version: string;
}

export type ApplicationKind = 'sql-server' | 'exchange' | 'oracle' | 'other-database';
export const APPLICATION_KINDS: ApplicationKind[] = ['sql-server', 'exchange', 'oracle', 'other-database'];
export interface ApplicationAgent {
  kind: ApplicationKind;
  version: string;
}

export interface Support {
  supported: boolean;
  reason?: string;
}

/**
 * One product of the matrix: how to recognise it and which release a server runs, and each
 * release's last day of vendor support (ISO date; `null` while the vendor has announced none). The
 * dates are the vendor's own end of security support (Microsoft extended support, RHEL maintenance
 * support, Ubuntu standard support, Debian LTS, SUSE general support), so the check follows the
 * calendar: a release drops out of the matrix the day after its date, with that date in the reason.
 * Add a release here when the vendor ships it.
 */
interface OsProduct {
  family: OsFamily;
  label: string;
  name: RegExp;
  /** `year`: a 4-digit year in the name or version (Windows Server); `release`: the version string. */
  releaseIn: 'year' | 'client' | 'release';
  releases: Record<string, string | null>;
}

export const OS_MATRIX: readonly OsProduct[] = [
  {
    family: 'windows',
    label: 'Windows Server',
    name: /\bwindows\b.*\bserver\b/,
    releaseIn: 'year',
    releases: {
      '2003': '2015-07-14',
      '2008': '2020-01-14',
      '2012': '2023-10-10',
      '2016': '2027-01-12',
      '2019': '2029-01-09',
      '2022': '2031-10-14',
      '2025': '2034-10-10',
    },
  },
  {
    family: 'windows',
    label: 'Windows',
    name: /\bwindows\b/,
    releaseIn: 'client',
    // Windows 11 is serviced per feature update; the product itself has no announced end.
    releases: { '7': '2020-01-14', '8': '2016-01-12', '8.1': '2023-01-10', '10': '2025-10-14', '11': null },
  },
  {
    family: 'linux',
    label: 'Red Hat Enterprise Linux',
    name: /^(rhel|red ?hat( enterprise linux)?)\b/,
    releaseIn: 'release',
    releases: {
      '6': '2020-11-30',
      '7': '2024-06-30',
      '8': '2029-05-31',
      '9': '2032-05-31',
      '10': '2035-05-31',
    },
  },
  {
    family: 'linux',
    label: 'Rocky Linux',
    name: /^rocky( linux)?\b/,
    releaseIn: 'release',
    releases: { '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  },
  {
    family: 'linux',
    label: 'AlmaLinux',
    name: /^alma( ?linux)?\b/,
    releaseIn: 'release',
    releases: { '8': '2029-03-01', '9': '2032-05-31', '10': '2035-05-31' },
  },
  {
    family: 'linux',
    label: 'Oracle Linux',
    name: /^(oracle linux|ol)\b/,
    releaseIn: 'release',
    releases: { '7': '2024-12-01', '8': '2029-07-01', '9': '2032-06-30', '10': '2035-06-30' },
  },
  {
    family: 'linux',
    label: 'CentOS',
    name: /^centos( linux)?$/,
    releaseIn: 'release',
    releases: { '6': '2020-11-30', '7': '2024-06-30', '8': '2021-12-31' },
  },
  {
    family: 'linux',
    label: 'CentOS Stream',
    name: /^centos stream\b/,
    releaseIn: 'release',
    releases: { '8': '2024-05-31', '9': '2027-05-31', '10': '2030-01-01' },
  },
  {
    family: 'linux',
    label: 'Ubuntu LTS',
    name: /^ubuntu\b/,
    releaseIn: 'release',
    releases: {
      '16.04': '2021-04-02',
      '18.04': '2023-05-31',
      '20.04': '2025-05-31',
      '22.04': '2027-04-01',
      '24.04': '2029-05-31',
      '26.04': '2031-04-30',
    },
  },
  {
    family: 'linux',
    label: 'Debian',
    name: /^debian\b/,
    releaseIn: 'release',
    releases: {
      '9': '2022-07-01',
      '10': '2024-06-30',
      '11': '2026-08-31',
      '12': '2028-06-30',
      '13': '2030-06-30',
    },
  },
  {
    family: 'linux',
    label: 'SUSE Linux Enterprise Server',
    name: /^(sles|suse linux enterprise( server)?)\b/,
    releaseIn: 'release',
    releases: { '12': '2024-10-31', '15': '2031-07-31', '16': '2035-11-30' },
  },
];

const describe = (os: OperatingSystem) => `${os.name} ${os.version}`.trim();
const useAgentless = 'use agentless mode (VMware or Hyper-V snapshot) to protect it';

/** The release of `product` that `os` runs, or null when its name and version name none. */
function releaseOf(product: OsProduct, name: string, version: string): string | null {
  const known = Object.keys(product.releases);
  if (product.releaseIn === 'year') return /\b(19|20)\d{2}\b/.exec(`${name} ${version}`)?.[0] ?? null;
  if (product.releaseIn === 'client') {
    const found = /\b(8\.1|7|8|10|11)\b/.exec(`${name.replace('windows', '')} ${version}`)?.[0];
    return found && known.includes(found) ? found : null;
  }
  // The longest release the version starts with: "9.4" runs 9, "24.04.1" runs 24.04, "15 SP5" runs 15.
  return (
    known
      .filter((r) => version === r || version.startsWith(`${r}.`) || version.startsWith(`${r} `))
      .sort((a, b) => b.length - a.length)[0] ?? null
  );
}

/**
 * Is `os` in the supported matrix for agent mode on `today` (an ISO date or date-time, from the
 * command: the domain never reads the clock)? When not, `reason` says why and what to do.
 */
export function agentSupport(os: OperatingSystem, today: string): Support {
  const name = os.name.trim().toLowerCase();
  const version = os.version.trim().toLowerCase();
  if (os.family === 'windows' && !name.includes('windows'))
    return {
      supported: false,
      reason: `"${describe(os)}" is not a Windows release; ${useAgentless} or fix the OS family`,
    };
  const product = OS_MATRIX.find((p) => p.family === os.family && p.name.test(name));
  if (!product)
    return {
      supported: false,
      reason: `${describe(os)} is not a mainstream Linux distribution under vendor support; ${useAgentless}`,
    };
  const release = releaseOf(product, name, version);
  const day = today.slice(0, 10);
  const current = Object.entries(product.releases)
    .filter(([, end]) => end === null || end >= day)
    .map(([r]) => r);
  if (release === null || !Object.hasOwn(product.releases, release))
    return {
      supported: false,
      reason: `${describe(os)} is not a ${product.label} release of the agent support matrix (supported: ${product.label} ${current.join(', ')}); ${useAgentless}`,
    };
  const end = product.releases[release];
  if (end !== null && end < day)
    return {
      supported: false,
      reason: `${product.label} ${release} reached the end of vendor support on ${end} (supported: ${product.label} ${current.join(', ')}); ${useAgentless}`,
    };
  return { supported: true };
}

const SQL_SERVER_VERSIONS = ['2012', '2014', '2016', '2017', '2019', '2022'];
const EXCHANGE_VERSIONS = ['2010', '2013', '2016', '2019'];

/** Application agents exist for SQL Server 2012–2022 and Exchange 2010–2019 (Windows only), Oracle, and other databases. */
export function applicationSupport(app: ApplicationAgent, os: OperatingSystem): Support {
  const year = /\b(19|20)\d{2}\b/.exec(app.version)?.[0] ?? app.version.trim();
  switch (app.kind) {
    case 'sql-server':
      if (os.family !== 'windows')
        return { supported: false, reason: 'the SQL Server agent exists only on Windows' };
      if (!SQL_SERVER_VERSIONS.includes(year))
        return {
          supported: false,
          reason: `SQL Server ${app.version} has no agent (supported: 2012 to 2022)`,
        };
      return { supported: true };
    case 'exchange':
      if (os.family !== 'windows')
        return { supported: false, reason: 'the Exchange agent exists only on Windows' };
      if (!EXCHANGE_VERSIONS.includes(year))
        return { supported: false, reason: `Exchange ${app.version} has no agent (supported: 2010 to 2019)` };
      return { supported: true };
    case 'oracle':
    case 'other-database':
      return { supported: true };
  }
}
