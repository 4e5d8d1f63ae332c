import { CutOverStopHandler } from './cut-over-stop.handler';
import { FinalDeltaHandler } from './final-delta.handler';
import { ReconnectUsersHandler } from './reconnect-users.handler';
import { ResumeAtRecoveryHandler } from './resume-at-recovery.handler';
import { ReverseSyncHandler } from './reverse-sync.handler';
import { StartAtOriginalHandler } from './start-at-original.handler';

/** The handlers of the failback's steps (the release of the recovery site is `FailbackHandler`). */
export const FAILBACK_STEP_HANDLERS = [
  ReverseSyncHandler,
  CutOverStopHandler,
  FinalDeltaHandler,
  StartAtOriginalHandler,
  ResumeAtRecoveryHandler,
  ReconnectUsersHandler,
];
