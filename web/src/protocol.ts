/*
 * Messages between the playground page (main.ts) and its training worker
 * (worker.ts). Only plain data and SVG strings cross: the worker owns the
 * model, the data and every heavy computation, so the page only swaps
 * markup in and stays responsive while a run trains.
 */

/** A spiking layer the raster/traces can show: its module path and class. */
import type { BrowserBackendRequest } from '../../src/backend/webgpu/register.js';

/** The backend a run trains on and why (chooseBrowserBackend's reason, or the layer probe's). */
export interface BackendInfo {
  name: 'webgpu' | 'wasm';
  reason: string;
}

export interface LayerInfo {
  path: string;
  kind: string;
  neurons: number;
}

export type ToWorker =
  /**
   * `backend`: the page's ?backend= (auto: webgpu on a hardware adapter, else wasm).
   * `trainLimit`/`testLimit`: keep only the first digits of each split (?train_limit=, ?test_limit=; null: all).
   * `batchSize`: replaces every network's data.batch_size (?batch_size=; null: the network's own).
   */
  | { type: 'init'; dataUrl: string; backend: BrowserBackendRequest; trainLimit: number | null; testLimit: number | null; batchSize: number | null }
  | { type: 'train'; name: string; configYaml: string; epochs: number }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'weights' }
  /** `approximateReset`: write subtractive-reset neurons as zero-reset ones (NIR has no subtractive reset). */
  | { type: 'exportNir'; approximateReset: boolean }
  /** `configYaml`: the network whose encoder and data settings the graph runs with (NIR records neither). */
  | { type: 'openNir'; bytes: Uint8Array; fileName: string; configYaml: string };

export interface EpochSummary {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export type FromWorker =
  /** `backend`: what the browser offers, before any network is known. */
  | { type: 'ready'; train: number; test: number; seconds: number; backend: BackendInfo }
  /** `backend`: what this network trains on (the layer probe may send a network back to wasm). */
  | { type: 'session'; name: string; layers: LayerInfo[]; parameters: number; batchesPerEpoch: number; backend: BackendInfo }
  | { type: 'batch'; epoch: number; batch: number; batchesPerEpoch: number; loss: number; accuracy: number; samplesPerSec: number }
  | { type: 'curves'; svg: string }
  /** The chosen recording of every spiking layer, keyed by layer path. */
  | { type: 'activity'; raster: Record<string, string>; traces: Record<string, string>; caption: string }
  | { type: 'epoch'; summary: EpochSummary }
  | { type: 'done'; seconds: number; testAccuracy: number }
  | { type: 'prediction'; digit: number; counts: number[]; raster: string; traces: string; source: string }
  | { type: 'file'; kind: 'safetensors' | 'nir'; fileName: string; bytes: Uint8Array }
  | { type: 'nirLoaded'; fileName: string; summary: string; layers: LayerInfo[]; testAccuracy: number | null }
  | { type: 'error'; message: string };
