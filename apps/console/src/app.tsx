import { useEffect, useState } from 'preact/hooks';
import { session, whenUnauthorized, type ApiError } from './api/client.js';
import { DatasetsPage } from './pages/datasets.js';
import { ModelPage } from './pages/model.js';
import { ModelsPage } from './pages/models.js';
import { SignIn } from './pages/sign-in.js';
import { TaskPage } from './pages/task.js';
import { TasksPage } from './pages/tasks.js';
import { href, useRoute } from './router.js';

const sections = [
  ['tasks', 'Tasks'],
  ['models', 'Models'],
  ['datasets', 'Datasets'],
] as const;

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const route = useRoute();

  useEffect(() => {
    whenUnauthorized((error) => {
      session.signOut();
      setRefused(error);
      setSignedIn(false);
    });
  }, []);

  if (!signedIn) {
    return (
      <SignIn
        refused={refused}
        onSignedIn={() => {
          setRefused(null);
          setSignedIn(true);
        }}
      />
    );
  }

  const [section = 'tasks', id] = route;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Trainyard</span>
        <nav aria-label="Sections">
          {sections.map(([name, label]) => (
            <a key={name} href={href(name)} aria-current={section === name ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="quiet"
          onClick={() => {
            session.signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {section === 'tasks' && (id ? <TaskPage key={id} taskId={id} /> : <TasksPage />)}
        {section === 'models' && (id ? <ModelPage key={id} name={id} /> : <ModelsPage />)}
        {section === 'datasets' && <DatasetsPage />}
        {!sections.some(([name]) => name === section) && <p>No page here. Choose a section above.</p>}
      </main>
    </>
  );
}
