import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, type SessionInfo } from './api.js';
import { InstancesPage } from './pages/instances.js';
import { OverviewPage } from './pages/overview.js';
import { RejectedPage } from './pages/rejected.js';
import { TailPage } from './pages/tail.js';

const PAGES = {
  overview: { title: 'Overview', Page: OverviewPage },
  tail: { title: 'Live tail', Page: TailPage },
  instances: { title: 'Instances', Page: InstancesPage },
  rejected: { title: 'Rejected events', Page: RejectedPage },
} as const;
type PageName = keyof typeof PAGES;

/** Pages live in the URL fragment (#/tail), so one HTML document serves them all. */
function currentPage(): PageName {
  const name = location.hash.replace(/^#\/?/, '');
  return name in PAGES ? (name as PageName) : 'overview';
}

function App() {
  const [page, setPage] = useState<PageName>(currentPage());
  const [session, setSession] = useState<SessionInfo>({ signInRequired: false, csrfToken: null });
  useEffect(() => {
    getJson<SessionInfo>('/api/session').then(setSession, () => {});
  }, []);
  useEffect(() => {
    const onHash = (): void => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const { title, Page } = PAGES[page];
  document.title = `${title} · Telemetry gateway`;
  return (
    <>
      <header class="top">
        <span class="brand">Telemetry gateway</span>
        <nav>
          {(Object.keys(PAGES) as PageName[]).map((name) => (
            <a key={name} href={`#/${name}`} class={name === page ? 'current' : ''} data-testid={`nav-${name}`}>
              {PAGES[name].title}
            </a>
          ))}
        </nav>
        {session.signInRequired && session.csrfToken !== null && (
          <form method="post" action="/logout" class="logout">
            <input type="hidden" name="csrf" value={session.csrfToken} />
            <button type="submit" data-testid="sign-out">Sign out</button>
          </form>
        )}
      </header>
      <main>
        <h1>{title}</h1>
        <Page />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
