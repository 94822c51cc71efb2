import type { Route } from "../router";
import { AccessPage } from "./access";
import { ClientsPage } from "./clients";
import { ErrorsPage } from "./errors";
import { IntentsPage } from "./intents";
import { OverviewPage } from "./overview";
import { SessionReplayPage } from "./session-replay";
import { SessionsPage } from "./sessions";
import { ToolsPage } from "./tools";
import { UserProfilePage } from "./user-profile";
import { UsersPage } from "./users";

/** Picks the page for a project route; keyed so that switching pages starts fresh. */
export function ProjectPageView({ route }: { route: Route }) {
  switch (route.name) {
    case "overview":
      return <OverviewPage key="overview" />;
    case "users":
      return <UsersPage key="users" />;
    case "user":
      return <UserProfilePage key={`user:${route.userId}`} userId={route.userId} />;
    case "sessions":
      return <SessionsPage key="sessions" />;
    case "session":
      return <SessionReplayPage key={`session:${route.sessionId}`} sessionId={route.sessionId} />;
    case "tools":
      return <ToolsPage key="tools" />;
    case "clients":
      return <ClientsPage key="clients" />;
    case "errors":
      return <ErrorsPage key="errors" />;
    case "intents":
      return <IntentsPage key="intents" />;
    case "access":
      return <AccessPage key="access" />;
    default:
      return null;
  }
}
