import type { Completer } from './shared/completion';
import { scopeClaimsCompleter } from './activation/scope-claims';
import { estateCompleter } from './estate/estate-registry';

/**
 * Every process manager that completes decisions (see `shared/completion.ts`). The completion
 * runner of the api and of the worker hands each recorded event to each of them.
 */
export const COMPLETERS: readonly Completer[] = [estateCompleter, scopeClaimsCompleter];
