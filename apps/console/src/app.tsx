import { useEffect, useState } from 'react';
import { NavLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { ErrorBoundary } from './components/error-boundary';
import { ErrorNote, Loading } from './components/ui';
import { ActivationPage } from './pages/activation';
import { ActivationsPage } from './pages/activations';
import { AuditPage } from './pages/audit';
import { CompliancePage } from './pages/compliance';
import { EstatePage } from './pages/estate';
import { ImportPage } from './pages/estate-import';
import { ServerEditPage, ServerNewPage } from './pages/server-form';
import { ServerPage } from './pages/server';
import { PlanPage } from './pages/plan';
import { ReportPage, ReportsPage } from './pages/reports';
import { SignInPage } from './pages/sign-in';
import { can, SessionContext, useMeQuery, useSignOut } from './session';

const ROLE_WORDS = { 'dr-manager': 'DR manager', scheduler: 'Scheduler', auditor: 'Auditor' } as const;

/** The wall layout (large type, for a 1080p screen in an operations room), kept per browser. */
function useWallLayout(): [boolean, (on: boolean) => void] {
  const [wall, setWall] = useState(() => localStorage.getItem('reprise.wall') === 'on');
  useEffect(() => {
    document.documentElement.classList.toggle('wall', wall);
    localStorage.setItem('reprise.wall', wall ? 'on' : 'off');
  }, [wall]);
  return [wall, setWall];
}

export function App() {
  const me = useMeQuery();
  const signOut = useSignOut();
  const [wall, setWall] = useWallLayout();
  const location = useLocation();
  if (me.isPending) return <Loading what="your session" />;
  if (me.isError) return <ErrorNote error={me.error} />;
  if (!me.data) return <SignInPage />;
  const user = me.data.user;
  const links = [
    ['/estate', 'Estate'],
    ['/plan', 'Plan'],
    ['/activations', 'Activations'],
    ['/reports', 'Reports'],
    ['/compliance', 'Tests & compliance'],
    ...(can.audit(user.role) ? [['/audit', 'Audit']] : []),
  ];
  return (
    <SessionContext.Provider value={user}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>{' '}
          Reprise
        </span>
        <nav aria-label="Main">
          <ul>
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to}>{label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <button
            type="button"
            className="ghost"
            aria-pressed={wall}
            onClick={() => setWall(!wall)}
            title="Large type for a wall display"
          >
            Wall display
          </button>
          <span>
            <span className="user-name">{user.name}</span>{' '}
            <span className="muted">({ROLE_WORDS[user.role] ?? user.role})</span>
          </span>
          <button type="button" className="ghost" onClick={() => signOut.mutate()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Routes>
            <Route path="/" element={<Navigate to="/activations" replace />} />
            <Route path="/estate" element={<EstatePage />} />
            <Route path="/estate/new" element={<ServerNewPage />} />
            <Route path="/estate/import" element={<ImportPage />} />
            <Route path="/estate/:id" element={<ServerPage />} />
            <Route path="/estate/:id/edit" element={<ServerEditPage />} />
            <Route path="/plan" element={<PlanPage />} />
            <Route path="/activations" element={<ActivationsPage />} />
            <Route path="/activations/:id" element={<ActivationPage />} />
            <Route path="/reports" element={<ReportsPage />} />
            <Route path="/reports/:id" element={<ReportPage />} />
            <Route path="/compliance" element={<CompliancePage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="*" element={<p>This page does not exist.</p>} />
          </Routes>
        </ErrorBoundary>
      </main>
    </SessionContext.Provider>
  );
}
