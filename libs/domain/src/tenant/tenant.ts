import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { conflict, FieldError, validationError } from '../shared/errors';
import { hostnameProblem } from '../estate/hostname';

export type ActivationWindow = 'business-hours' | '24x7';
export const ACTIVATION_WINDOWS: ActivationWindow[] = ['business-hours', '24x7'];
export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** Tenant details the activation engine and reports need. */
export interface TenantDetails {
  id: string;
  name: string;
  customerNumber: string;
  domain: string;
  timeZone: string;
  activationWindow: ActivationWindow;
  notificationWebhookUrl: string | null;
  /**
   * The contract lets an authorised person start a disaster declared outside the activation window
   * at once (an emergency override, under four eyes). False for tenants created before it existed.
   */
  emergencyOverride: boolean;
  createdAt: string;
}

/** Tenants created before the emergency override existed have none in their event. */
export type TenantCreated = DomainEvent<
  'TenantCreated',
  Omit<TenantDetails, 'emergencyOverride'> & { emergencyOverride?: boolean }
>;
export type TenantSettingsChanged = DomainEvent<
  'TenantSettingsChanged',
  Partial<
    Pick<
      TenantDetails,
      'name' | 'timeZone' | 'activationWindow' | 'notificationWebhookUrl' | 'emergencyOverride'
    >
  >
>;
export type TenantEvent = TenantCreated | TenantSettingsChanged;

export interface TenantInput {
  name: string;
  customerNumber: string;
  domain: string;
  timeZone?: string;
  activationWindow?: ActivationWindow;
  notificationWebhookUrl?: string | null;
  emergencyOverride?: boolean;
}

export type TenantCommand =
  | { type: 'CreateTenant'; tenantId: string; input: TenantInput; now: string }
  | {
      type: 'ChangeTenantSettings';
      changes: Partial<
        Pick<
          TenantDetails,
          'name' | 'timeZone' | 'activationWindow' | 'notificationWebhookUrl' | 'emergencyOverride'
        >
      >;
    };

export type TenantState = TenantDetails | null;

/** IANA time zone check without reading the clock: the runtime's tz database knows the name. */
export function isIanaTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function isWebhookUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'http:' || parsed.protocol === 'https:') && !!parsed.hostname && url.length <= 2048
    );
  } catch {
    return false;
  }
}

export function tenantFieldErrors(input: Partial<TenantInput>, creating: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (creating || input.name !== undefined)
    if (!input.name || !input.name.trim() || input.name.length > 200)
      errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
  if (creating) {
    if (!input.customerNumber || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(input.customerNumber))
      errors.push({ field: 'customerNumber', message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' });
    const domainProblem = input.domain ? hostnameProblem(input.domain.toLowerCase()) : 'must not be empty';
    if (domainProblem) errors.push({ field: 'domain', message: `must be a domain name: ${domainProblem}` });
  }
  if (input.timeZone !== undefined && !isIanaTimeZone(input.timeZone))
    errors.push({ field: 'timeZone', message: 'must be an IANA time zone such as Europe/Paris' });
  if (input.activationWindow !== undefined && !ACTIVATION_WINDOWS.includes(input.activationWindow))
    errors.push({ field: 'activationWindow', message: `must be one of ${ACTIVATION_WINDOWS.join(', ')}` });
  if (
    input.notificationWebhookUrl !== undefined &&
    input.notificationWebhookUrl !== null &&
    !isWebhookUrl(input.notificationWebhookUrl)
  )
    errors.push({ field: 'notificationWebhookUrl', message: 'must be an http(s) URL' });
  if (input.emergencyOverride !== undefined && typeof input.emergencyOverride !== 'boolean')
    errors.push({ field: 'emergencyOverride', message: 'must be true or false' });
  return errors;
}

export const tenantDecider: Decider<TenantCommand, TenantState, TenantEvent> = {
  initialState: () => null,
  decide(command, state) {
    switch (command.type) {
      case 'CreateTenant': {
        if (state) throw conflict('tenant-exists', `tenant ${command.tenantId} already exists`);
        const errors = tenantFieldErrors(command.input, true);
        if (errors.length) throw validationError('invalid-tenant', 'the tenant is invalid', errors);
        const i = command.input;
        return [
          {
            type: 'TenantCreated',
            data: {
              id: command.tenantId,
              name: i.name.trim(),
              customerNumber: i.customerNumber,
              domain: i.domain.toLowerCase(),
              timeZone: i.timeZone ?? DEFAULT_TIME_ZONE,
              activationWindow: i.activationWindow ?? 'business-hours',
              notificationWebhookUrl: i.notificationWebhookUrl ?? null,
              emergencyOverride: i.emergencyOverride ?? false,
              createdAt: command.now,
            },
          },
        ];
      }
      case 'ChangeTenantSettings': {
        if (!state) throw new Error('tenant stream does not exist');
        const errors = tenantFieldErrors(command.changes as Partial<TenantInput>, false);
        if (errors.length) throw validationError('invalid-tenant', 'the tenant settings are invalid', errors);
        const changed = Object.fromEntries(
          Object.entries(command.changes).filter(
            ([k, v]) => v !== undefined && state[k as keyof TenantDetails] !== v,
          ),
        ) as TenantSettingsChanged['data'];
        return Object.keys(changed).length ? [{ type: 'TenantSettingsChanged', data: changed }] : [];
      }
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TenantCreated':
        return { emergencyOverride: false, ...event.data };
      case 'TenantSettingsChanged':
        return state ? { ...state, ...event.data } : state;
      default:
        return assertNever(event);
    }
  },
};
