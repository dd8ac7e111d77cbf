/**
 * Normal operating values of the bundled chemical plant (sites/jinyu-chemical.yaml),
 * keyed `{deviceId}.{channel}`. Points not listed sit at their kind's default
 * (gas detectors ≈ 0, oxygen 20.9 %VOL, valves open, pumps running, interlocks
 * neither tripped nor bypassed).
 */
export const PLANT_BASELINES: Readonly<Record<string, number>> = {
  // LPG sphere: vapour pressure of commercial propane-butane at about 18 °C.
  'tk-101.pressure': 0.85,
  'tk-101.level': 9.2,
  'tk-101.temp': 18,
  'tk-102.pressure': 0.78,
  'tk-102.level': 6.45,
  'tk-102.temp': 17.6,
  // The SIS transmitters differ from each other by their calibration offsets.
  'sis-tk101.pt_a': 0.854,
  'sis-tk101.pt_b': 0.847,
  'sis-tk101.pt_c': 0.85,
  // Diesel hydrotreater reactor inlet.
  'dcs-hdt.r201_pt': 8.2,
  'dcs-hdt.r201_tt': 345,
  'dcs-hdt.feed_ft': 96,
};

/** Calibration offsets (MPa) of the three SIS pressure transmitters of TK-101. */
export const SIS_PT_OFFSETS_MPA: Readonly<Record<'pt_a' | 'pt_b' | 'pt_c', number>> = { pt_a: 0.004, pt_b: -0.003, pt_c: 0 };
