import { Link } from 'react-router';
import type { ActivationListItem } from '../api/types';
import { StatusBadge, formatMinutes, formatTime } from './ui';

/**
 * Activations newest first: launch, close and the availability delay of the last server. `link`
 * says where each row leads (the live view, the report).
 */
export function ActivationTable({
  items,
  caption,
  link,
}: {
  items: readonly ActivationListItem[];
  caption: string;
  link: (a: ActivationListItem) => { to: string; label: string };
}) {
  const newestFirst = [...items].sort((a, b) =>
    String(b.launchedAt ?? b.requestedAt ?? '').localeCompare(String(a.launchedAt ?? a.requestedAt ?? '')),
  );
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Activation</th>
            <th scope="col">Status</th>
            <th scope="col">Launched</th>
            <th scope="col">Closed</th>
            <th scope="col">Last server up after</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((a) => {
            const { to, label } = link(a);
            return (
              <tr key={a.id}>
                <th scope="row">
                  <Link to={to}>{label}</Link>
                </th>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td>{formatTime(a.launchedAt)}</td>
                <td>{formatTime(a.closedAt)}</td>
                <td>{formatMinutes(a.lastServerAvailableAfterMinutes)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
