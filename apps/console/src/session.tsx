import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect } from 'react';
import { api, ApiError, onUnauthorised, setCsrfToken } from './api/client';
import type { Me, Role, SessionUser } from './api/types';

const ME = ['auth', 'me'] as const;

/** `GET /auth/me`: the signed-in user and the CSRF token (null when signed out). */
export function useMeQuery() {
  const client = useQueryClient();
  useEffect(() => onUnauthorised(() => client.setQueryData(ME, null)), [client]);
  return useQuery({
    queryKey: ME,
    queryFn: async (): Promise<Me | null> => {
      try {
        const body = await api<Record<string, unknown>>('/auth/me');
        const user = (body.user ?? body) as SessionUser;
        const me = { user, csrfToken: String(body.csrfToken ?? '') };
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          setCsrfToken(null);
          return null;
        }
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api('/auth/logout', { method: 'POST' }),
    onSettled: () => {
      setCsrfToken(null);
      client.clear();
      client.setQueryData(ME, null);
    },
  });
}

export const SessionContext = createContext<SessionUser | null>(null);

/** The signed-in user (inside the signed-in layout). */
export function useUser(): SessionUser {
  const user = useContext(SessionContext);
  if (!user) throw new Error('useUser outside a session');
  return user;
}

/** What each role may do in the console (the API enforces the same; this only hides dead buttons). */
export const can = {
  editEstate: (role: Role) => role === 'dr-manager',
  launchTest: (role: Role) => role === 'dr-manager' || role === 'scheduler',
  launchDisaster: (role: Role) => role === 'dr-manager',
  drive: (role: Role) => role === 'dr-manager',
  closeTest: (role: Role) => role === 'dr-manager' || role === 'scheduler',
  schedule: (role: Role) => role === 'scheduler' || role === 'dr-manager',
  audit: (role: Role) => role === 'auditor' || role === 'dr-manager',
};
