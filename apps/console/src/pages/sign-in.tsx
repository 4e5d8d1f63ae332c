import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, describeError } from '../api/client';

/** Password, then the 6-digit code of the authenticator app (two-factor sign-in is mandatory). */
export function SignInPage() {
  const client = useQueryClient();
  const [challenge, setChallenge] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (challenge) codeRef.current?.focus();
  }, [challenge]);

  const submitPassword = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ challenge: string }>('/auth/login', {
        body: { email: String(form.get('email')), password: String(form.get('password')) },
      });
      setChallenge(res.challenge);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api('/auth/login/totp', {
        body: { challenge, code: String(form.get('code')).replace(/\s/g, '') },
      });
      await client.invalidateQueries({ queryKey: ['auth', 'me'] });
    } catch (e) {
      setError(describeError(e));
      if (codeRef.current) codeRef.current.value = '';
      codeRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <div className="sign-in-card">
        <h1>
          <span className="brand-mark" aria-hidden="true">
            R
          </span>{' '}
          Reprise console
        </h1>
        {!challenge ? (
          <form onSubmit={submitPassword} aria-labelledby="sign-in-title">
            <h2 id="sign-in-title">Sign in</h2>
            <label>
              E-mail
              <input name="email" type="email" autoComplete="username" required autoFocus />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Checking…' : 'Continue'}
            </button>
          </form>
        ) : (
          <form onSubmit={submitCode} aria-labelledby="totp-title">
            <h2 id="totp-title">Two-factor code</h2>
            <p>Enter the 6-digit code your authenticator app shows for Reprise.</p>
            <label>
              Authentication code
              <input
                ref={codeRef}
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9 ]{6,7}"
                maxLength={7}
                required
              />
            </label>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Verifying…' : 'Sign in'}
            </button>
            <button type="button" className="link" onClick={() => setChallenge(null)}>
              Use another account
            </button>
          </form>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}
