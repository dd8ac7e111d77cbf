import type { RuleDocument } from '@hazardwatch/contracts';
import { expressionPointIds } from '@hazardwatch/contracts';
import { RuleError, RuleErrorCode } from '../errors.js';
import type { KindMemory } from '../state.js';
import { compositeOps, initCompositeMemory } from './composite.js';
import { deviceFaultOps, initDeviceFaultMemory } from './device-fault.js';
import { carryInterlockMemory, initInterlockMemory, interlockOps } from './interlock.js';
import { carryInterruptionMemory, initInterruptionMemory, interruptionOps } from './interruption.js';
import { Bound, type BoundKind } from './kind-engine.js';
import { carryLastReadings, initOutOfRangeMemory, outOfRangeOps } from './out-of-range.js';
import { carryRateMemory, initRateMemory, rateOfChangeOps } from './rate-of-change.js';
import { carryStuckMemory, initStuckMemory, stuckOps } from './stuck.js';
import { carryTailingsMemory, initTailingsMemory, tailingsOps } from './tailings.js';
import { carryTailingsDamMemory, initTailingsDamMemory, tailingsDamOps } from './tailings-dam.js';
import { carryThresholdMemory, initThresholdMemory, thresholdOps } from './threshold.js';
import { carryVehicleMemory, initVehicleMemory, vehicleOps } from './vehicle.js';

/** Fresh memory of a rule's kind; `start` is when silence starts to count. */
export function initMemory(rule: RuleDocument, start: number): KindMemory {
  switch (rule.kind) {
    case 'threshold':
      return initThresholdMemory(rule);
    case 'rate_of_change':
      return initRateMemory(rule);
    case 'interruption':
      return initInterruptionMemory(rule, start);
    case 'stuck':
      return initStuckMemory();
    case 'out_of_range':
      return initOutOfRangeMemory();
    case 'device_fault':
      return initDeviceFaultMemory();
    case 'interlock':
      return initInterlockMemory(start);
    case 'composite':
      return initCompositeMemory();
    case 'tailings':
      return initTailingsMemory(rule);
    case 'tailings_dam':
      return initTailingsDamMemory(rule);
    case 'vehicle':
      return initVehicleMemory(rule, start);
  }
}

/** Memory for a new version of a rule: the facts of the old memory that still apply (see README). */
export function carryMemory(rule: RuleDocument, old: KindMemory, at: number): KindMemory {
  switch (rule.kind) {
    case 'threshold':
      return carryThresholdMemory(rule, old);
    case 'rate_of_change':
      return carryRateMemory(rule, old);
    case 'interruption':
      return carryInterruptionMemory(rule, old, at);
    case 'stuck':
      return carryStuckMemory();
    case 'out_of_range':
      return old.kind === 'out_of_range'
        ? carryLastReadings(
            'out_of_range',
            rule.points.map((p) => p.pointId),
            old,
          )
        : initOutOfRangeMemory();
    case 'device_fault':
      return old.kind === 'device_fault' ? carryLastReadings('device_fault', rule.pointIds, old) : initDeviceFaultMemory();
    case 'interlock':
      return carryInterlockMemory(rule, old, at);
    case 'composite':
      return old.kind === 'composite' ? carryLastReadings('composite', expressionPointIds(rule.expression), old) : initCompositeMemory();
    case 'tailings':
      return carryTailingsMemory(rule, old);
    case 'tailings_dam':
      return carryTailingsDamMemory(rule, old);
    case 'vehicle':
      return carryVehicleMemory(rule, old, at);
  }
}

function mismatch(rule: RuleDocument, memory: KindMemory): never {
  throw new RuleError(RuleErrorCode.StateMismatch, `state memory of kind ${memory.kind} given for a ${rule.kind} rule ${rule.id}`);
}

/** Binds a rule to its (mutable) memory; the rule's ops are built once per rule object. */
export function bindKind(rule: RuleDocument, memory: KindMemory): BoundKind {
  switch (rule.kind) {
    case 'threshold':
      return memory.kind === 'threshold' ? new Bound(thresholdOps(rule), memory) : mismatch(rule, memory);
    case 'rate_of_change':
      return memory.kind === 'rate_of_change' ? new Bound(rateOfChangeOps(rule), memory) : mismatch(rule, memory);
    case 'interruption':
      return memory.kind === 'interruption' ? new Bound(interruptionOps(rule), memory) : mismatch(rule, memory);
    case 'stuck':
      return memory.kind === 'stuck' ? new Bound(stuckOps(rule), memory) : mismatch(rule, memory);
    case 'out_of_range':
      return memory.kind === 'out_of_range' ? new Bound(outOfRangeOps(rule), memory) : mismatch(rule, memory);
    case 'device_fault':
      return memory.kind === 'device_fault' ? new Bound(deviceFaultOps(rule), memory) : mismatch(rule, memory);
    case 'interlock':
      return memory.kind === 'interlock' ? new Bound(interlockOps(rule), memory) : mismatch(rule, memory);
    case 'composite':
      return memory.kind === 'composite' ? new Bound(compositeOps(rule), memory) : mismatch(rule, memory);
    case 'tailings':
      return memory.kind === 'tailings' ? new Bound(tailingsOps(rule), memory) : mismatch(rule, memory);
    case 'tailings_dam':
      return memory.kind === 'tailings_dam' ? new Bound(tailingsDamOps(rule), memory) : mismatch(rule, memory);
    case 'vehicle':
      return memory.kind === 'vehicle' ? new Bound(vehicleOps(rule), memory) : mismatch(rule, memory);
  }
}
