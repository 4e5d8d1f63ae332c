import { useEffect, useReducer, useRef, useState } from 'react';
import type { ActivationEventType } from '@reprise/domain/activation';
import { API_BASE } from '../api/client';
import { applyEvents, emptyFold, hasGap, type LiveFold, type RecordedEventView } from './fold';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

type Action = { type: 'events'; events: RecordedEventView[] } | { type: 'reset' };

const reducer = (fold: LiveFold, action: Action): LiveFold =>
  action.type === 'reset' ? emptyFold() : applyEvents(fold, action.events);

/** Statuses after which nothing more happens to an activation (the stream can close). */
const FINAL = new Set(['closed', 'failed-back', 'rejected', 'stood-down']);

/**
 * Follows an activation over server-sent events (`GET /activations/:id/stream`, the session cookie
 * authenticates it): the stream replays every recorded event, then sends each new one; the browser
 * resumes after a drop with `Last-Event-ID`. Events are folded as they arrive; if one goes missing
 * the stream is reopened from the start. The stream closes once the activation is final.
 */
export function useActivationStream(id: string): {
  fold: LiveFold;
  connection: Connection;
  reconnect: () => void;
} {
  const [fold, dispatch] = useReducer(reducer, undefined, emptyFold);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [generation, setGeneration] = useState(0);
  const final = fold.state.exists && FINAL.has(fold.state.status);
  const gap = hasGap(fold);
  const buffer = useRef<RecordedEventView[]>([]);

  useEffect(() => {
    if (gap) {
      dispatch({ type: 'reset' });
      setGeneration((g) => g + 1);
    }
  }, [gap]);

  useEffect(() => {
    if (final) {
      setConnection('ended');
      return;
    }
    setConnection('connecting');
    const source = new EventSource(`${API_BASE}/activations/${encodeURIComponent(id)}/stream`, {
      withCredentials: true,
    });
    let frame = 0;
    const flush = () => {
      frame = 0;
      const events = buffer.current;
      buffer.current = [];
      if (events.length) dispatch({ type: 'events', events });
    };
    // Every event type arrives as a named SSE event: one listener on `message` would miss them.
    const onEvent = (message: MessageEvent<string>) => {
      buffer.current.push(JSON.parse(message.data) as RecordedEventView);
      frame ||= requestAnimationFrame(flush);
    };
    const listened = new Set<string>();
    const listen = (type: string) => {
      if (listened.has(type)) return;
      listened.add(type);
      source.addEventListener(type, onEvent as EventListener);
    };
    for (const type of EVENT_TYPES) listen(type);
    source.onmessage = onEvent;
    source.onopen = () => setConnection('live');
    source.onerror = () =>
      setConnection(source.readyState === EventSource.CLOSED ? 'failed' : 'reconnecting');
    return () => {
      if (frame) cancelAnimationFrame(frame);
      flush();
      source.close();
    };
  }, [id, final, generation]);

  return { fold, connection, reconnect: () => setGeneration((g) => g + 1) };
}

/**
 * The activation's event types (the SSE `event:` names), one listener each. Kept in step with the
 * domain's union by the compiler: the build fails when a type is added to `ActivationEvent` (runbook
 * steps, failback…) and not here.
 */
const ALL: Record<ActivationEventType, true> = {
  ActivationRequested: true,
  ActivationStarted: true,
  AlertRaised: true,
  ConfirmationRequested: true,
  ConfirmationAttemptFailed: true,
  ActivationConfirmed: true,
  ActivationRejected: true,
  ActivationScheduled: true,
  AlertEscalated: true,
  AlertStoodDown: true,
  ServerRestoreStarted: true,
  DiskRestored: true,
  ServerRestored: true,
  ReplicaActivated: true,
  ServerBootStarted: true,
  ServerBooted: true,
  ServerAnalysisStarted: true,
  ServerChecked: true,
  ServerStepFailed: true,
  ServerBlocked: true,
  NetworkSetupStarted: true,
  NetworkReady: true,
  NetworkSetupFailed: true,
  RtoBreachProjected: true,
  ActivationCompleted: true,
  ActivationAborted: true,
  ServerRetryRequested: true,
  CloseRequested: true,
  TeardownVerified: true,
  TeardownIncomplete: true,
  ActivationClosed: true,
  FailbackRequested: true,
  ActivationFailedBack: true,
  RunbookStepStarted: true,
  RunbookStepSucceeded: true,
  RunbookStepFailed: true,
  RunbookStepBlocked: true,
  RunbookStepReminded: true,
  RunbookStepRetryRequested: true,
  FailbackConfirmed: true,
  FailbackRejected: true,
  FailbackAborted: true,
  ReverseSyncStarted: true,
  ReverseSyncProgressed: true,
  ServerReverseSynced: true,
  ServerStopStarted: true,
  ServerStoppedAtRecovery: true,
  FinalDeltaSent: true,
  ServerStartedAtOriginal: true,
  FailbackStepFailed: true,
  ServerHeldAtRecovery: true,
  ServerResumedAtRecovery: true,
  ServerResumeFailed: true,
  UsersReconnectedToOriginal: true,
  UsersReconnectFailed: true,
  FailbackIncomplete: true,
  ReprotectionDue: true,
  ScopeWideningRequested: true,
  ScopeWideningConfirmed: true,
  ScopeWideningRejected: true,
  EmergencyOverrideRequested: true,
  EmergencyOverrideConfirmed: true,
  EmergencyOverrideRejected: true,
};
const EVENT_TYPES = Object.keys(ALL);
