// Package projects is the bundled projects plugin: projects in a
// workspace, their members and roles, and who may join project:P rooms.
//
// Routes (under /v1):
//
//	POST   /workspaces/{ws}/projects           {name, description?}   → 201, pm.project.created → workspace:{ws}
//	GET    /workspaces/{ws}/projects           ?limit&offset          the caller's projects in ws
//	GET    /projects/{id}
//	PATCH  /projects/{id}                      {name?, description?}  owner/admin; pm.project.updated
//	DELETE /projects/{id}                                             owner; pm.project.deleted, revokes project:{id}
//	GET    /projects/{id}/members              ?limit&offset
//	POST   /projects/{id}/members              {userId, role}         owner/admin; pm.team.member_added
//	GET    /projects/{id}/members/{userId}
//	PATCH  /projects/{id}/members/{userId}     {role}                 owner/admin; pm.team.member_updated
//	DELETE /projects/{id}/members/{userId}                            owner/admin or self; pm.team.member_removed
//
// Only members read or change a project (403 otherwise; 404 for an unknown
// project). Roles are owner, admin and member; only owners delete the
// project or make, change or remove owners, and the last owner can be
// neither removed nor demoted (409). Every write runs in one transaction
// with its events (the outbox), and a project's version grows by one on
// every change of the project itself (memberships have no version).
//
// The data lives in projects_projects and projects_members, created on
// startup on SQLite or PostgreSQL.
package projects
