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

const WINDOWS_SERVER_YEARS = [2012, 2016, 2019, 2022];
const WINDOWS_CLIENT_VERSIONS = ['8', '8.1', '10', '11'];

/** Mainstream Linux distributions under vendor support: [pattern on the name, supported major versions]. */
const LINUX_DISTRIBUTIONS: Array<{ label: string; name: RegExp; majors: string[] }> = [
  { label: 'Red Hat Enterprise Linux', name: /^(rhel|red ?hat( enterprise linux)?)\b/, majors: ['8', '9'] },
  { label: 'Rocky Linux', name: /^rocky( linux)?\b/, majors: ['8', '9'] },
  { label: 'AlmaLinux', name: /^alma( ?linux)?\b/, majors: ['8', '9'] },
  { label: 'Oracle Linux', name: /^(oracle linux|ol)\b/, majors: ['8', '9'] },
  { label: 'CentOS Stream', name: /^centos stream\b/, majors: ['9'] },
  { label: 'Ubuntu LTS', name: /^ubuntu\b/, majors: ['20.04', '22.04', '24.04'] },
  { label: 'Debian', name: /^debian\b/, majors: ['11', '12'] },
  {
    label: 'SUSE Linux Enterprise Server',
    name: /^(sles|suse linux enterprise( server)?)\b/,
    majors: ['15'],
  },
];

const describe = (os: OperatingSystem) => `${os.name} ${os.version}`.trim();
const useAgentless = 'use agentless mode (VMware or Hyper-V snapshot) to protect it';

/** Is `os` in the supported matrix for agent mode? When not, `reason` says why and what to do. */
export function agentSupport(os: OperatingSystem): Support {
  const name = os.name.trim().toLowerCase();
  const version = os.version.trim().toLowerCase();
  if (os.family === 'windows') {
    if (!name.includes('windows'))
      return {
        supported: false,
        reason: `"${describe(os)}" is not a Windows release; ${useAgentless} or fix the OS family`,
      };
    if (name.includes('server')) {
      const year = Number(/\b(19|20)\d{2}\b/.exec(`${name} ${version}`)?.[0]);
      if (WINDOWS_SERVER_YEARS.includes(year)) return { supported: true };
      return {
        supported: false,
        reason: `${describe(os)} is outside the agent support matrix (Windows Server 2012 to 2022); ${useAgentless}`,
      };
    }
    const clientVersion = (
      /\b(8\.1|8|10|11)\b/.exec(`${name.replace('windows', '')} ${version}`)?.[0] ?? ''
    ).trim();
    if (WINDOWS_CLIENT_VERSIONS.includes(clientVersion)) return { supported: true };
    return {
      supported: false,
      reason: `${describe(os)} is outside the agent support matrix (Windows 8, 8.1, 10, 11); ${useAgentless}`,
    };
  }
  const distribution = LINUX_DISTRIBUTIONS.find((d) => d.name.test(name));
  if (!distribution) {
    return {
      supported: false,
      reason: `${describe(os)} is not a mainstream Linux distribution under vendor support; ${useAgentless}`,
    };
  }
  const matches = distribution.majors.some(
    (major) =>
      version === major ||
      version.startsWith(`${major}.`) ||
      version.startsWith(`${major} `) ||
      (major.includes('.') && version.startsWith(major)),
  );
  if (matches) return { supported: true };
  return {
    supported: false,
    reason: `${describe(os)} is out of vendor support (agent mode supports ${distribution.label} ${distribution.majors.join(', ')}); ${useAgentless}`,
  };
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
