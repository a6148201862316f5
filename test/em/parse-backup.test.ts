import { describe, expect, it } from 'vitest';
import { ParseError, parseBackupEntity } from '../../src/em/index.js';
import { JSON_CT, XML, fixture } from './fixtures.js';

describe('parseBackupEntity', () => {
  it('reads the XML entity, decoding entities in the name, with server and repository from the Up links', () => {
    expect(parseBackupEntity(fixture('backup-entity.xml'), XML)).toEqual({
      id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
      name: 'Daily VM Backup & Copy',
      platform: 'VMware',
      backupType: 'Standard',
      backupServer: 'vbr01.example.local',
      repository: 'Default Backup Repository',
    });
  });

  it('reads EM 12 JSON and lower-cases the GUID', () => {
    expect(parseBackupEntity(fixture('backup-entity-v12.json'), JSON_CT)).toEqual({
      id: '7b6a400c-452c-41d1-bb81-ea682e89492d',
      name: 'Hyper-V Cluster Backup',
      platform: 'HyperV',
      backupType: 'ChildBackup',
      backupServer: 'vbr02.example.local',
      repository: 'SOBR-01',
    });
  });

  it('reads EM 13 camelCase JSON', () => {
    expect(parseBackupEntity(fixture('backup-entity-v13.json'), JSON_CT)).toEqual({
      id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
      name: 'Linux Agents',
      platform: 'AgentForLinux',
      backupType: 'Standard',
      backupServer: 'vbr03.example.local',
      repository: 'Hardened Repo',
    });
  });

  it('leaves fields an older EM or a reference answer lacks empty, and prefers Up links', () => {
    const body =
      '<EntityRef UID="urn:veeam:Backup:ABC" Name="Old"><Links><Link Rel="Related" Type="BackupServerReference" Name="other"/><Link Rel="Up" Type="BackupServerReference" Name="vbr9"/></Links></EntityRef>';
    expect(parseBackupEntity(body, XML)).toEqual({
      id: 'abc',
      name: 'Old',
      platform: '',
      backupType: '',
      backupServer: 'vbr9',
      repository: '',
    });
  });

  it('gives an empty id when EM sends no UID, so the caller keeps the configured one', () => {
    expect(parseBackupEntity('{"Name":"x","UID":null,"Links":null}', JSON_CT).id).toBe('');
  });

  it('requires a Name', () => {
    expect(() => parseBackupEntity('{"UID":"urn:veeam:Backup:abc","Name":null}', JSON_CT)).toThrow(
      /backup without a Name \(keys: UID, Name\)/,
    );
    expect(() => parseBackupEntity('<Backup UID="x"/>', XML)).toThrow(ParseError);
  });

  it('reports Error documents and unexpected roots', () => {
    expect(() => parseBackupEntity(fixture('error-500.xml'), XML)).toThrow(
      /EM sent an Error document: Object reference not set/,
    );
    expect(() => parseBackupEntity(fixture('error-400.json'), JSON_CT)).toThrow(
      /EM sent an Error document: Node \[root\] does not exist/,
    );
    expect(() => parseBackupEntity('<RestorePoints/>', XML)).toThrow(/unexpected XML root <RestorePoints>/);
    expect(() => parseBackupEntity('[]', JSON_CT)).toThrow(/not an object/);
    expect(() => parseBackupEntity(fixture('billion-laughs.xml'), XML)).toThrow(/DOCTYPE/);
  });
});
