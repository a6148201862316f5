export { demoReadyMessage, startDemo, type RunningDemo } from './start-demo.js';
export { demoBackups, DEMO_UNKNOWN_BACKUP_ID, type DemoBackup } from './demo-backups.js';
