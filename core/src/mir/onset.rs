//! Onset strength: the half-wave rectified rise of log-mel energy between consecutive STFT
//! frames (librosa's `onset_strength` recipe), kept for the whole band and for three
//! sub-bands. The sub-bands let the tempo estimator tell a kick/bass pulse from a hi-hat pulse,
//! which is the evidence for choosing between half and double tempo.

/// Band edges (Hz) of the low / mid / high onset sub-bands.
pub const BAND_EDGES_HZ: [f64; 2] = [200.0, 2000.0];

/// Decibels below the loudest frame seen so far that are treated as silence.
const DYNAMIC_RANGE_DB: f32 = 80.0;
/// Absolute floor of the mel dB values (far below a full-scale tone, about −90 dB).
const ABS_FLOOR_DB: f32 = -50.0;

/// Onset-strength envelopes at the STFT frame rate.
#[derive(Clone, Debug, Default)]
pub struct OnsetEnvelope {
    /// Frames per second.
    pub fps: f64,
    /// Mean rectified log-mel rise over all bands, one value per frame.
    pub strength: Vec<f32>,
    /// The same over bands below 200 Hz (kick, bass).
    pub low: Vec<f32>,
    /// The same over bands 200 Hz – 2 kHz.
    pub mid: Vec<f32>,
    /// The same over bands above 2 kHz (hi-hats, cymbals, noise onsets).
    pub high: Vec<f32>,
}

/// Turns mel power frames into onset-strength values, one frame at a time.
#[derive(Clone, Debug)]
pub struct OnsetTracker {
    prev_db: Vec<f32>,
    db: Vec<f32>,
    band_of: Vec<u8>,
    band_count: [f32; 3],
    peak_db: f32,
    env: OnsetEnvelope,
}

impl OnsetTracker {
    /// A tracker for mel bands centred at `centers_hz`, at `fps` frames per second.
    pub fn new(centers_hz: &[f64], fps: f64) -> Self {
        let band_of: Vec<u8> = centers_hz
            .iter()
            .map(|&f| {
                if f < BAND_EDGES_HZ[0] {
                    0
                } else if f < BAND_EDGES_HZ[1] {
                    1
                } else {
                    2
                }
            })
            .collect();
        let mut band_count = [0f32; 3];
        for &b in &band_of {
            band_count[b as usize] += 1.0;
        }
        OnsetTracker {
            prev_db: Vec::new(),
            db: vec![0.0; centers_hz.len()],
            band_of,
            band_count,
            peak_db: f32::NEG_INFINITY,
            env: OnsetEnvelope {
                fps,
                ..Default::default()
            },
        }
    }

    /// Add one frame of mel power.
    pub fn push(&mut self, mel: &[f32]) {
        for (d, &m) in self.db.iter_mut().zip(mel) {
            *d = crate::dsp::mel::power_to_db(m);
        }
        self.update();
    }

    /// Add one frame of mel power already in dB ([`crate::dsp::mel::power_to_db`] of each
    /// band), for callers that need those dB values themselves (one logarithm per band).
    pub fn push_db(&mut self, mel_db: &[f32]) {
        for (d, &m) in self.db.iter_mut().zip(mel_db) {
            *d = m;
        }
        self.update();
    }

    /// One envelope step from the frame now in `self.db`.
    fn update(&mut self) {
        let frame_peak = self.db.iter().fold(f32::NEG_INFINITY, |a, &d| a.max(d));
        self.peak_db = self.peak_db.max(frame_peak);
        let floor = ABS_FLOOR_DB.max(self.peak_db - DYNAMIC_RANGE_DB);
        for d in self.db.iter_mut() {
            *d = d.max(floor);
        }
        let mut sums = [0f32; 3];
        if self.prev_db.is_empty() {
            self.prev_db = self.db.clone();
        }
        for ((d, p), &b) in self.db.iter().zip(&self.prev_db).zip(&self.band_of) {
            // The previous frame is clipped to the current floor too, so a rising floor
            // never reads as an onset.
            sums[b as usize] += (d - p.max(floor)).max(0.0);
        }
        self.prev_db.copy_from_slice(&self.db);
        let n: f32 = self.band_count.iter().sum();
        self.env
            .strength
            .push((sums[0] + sums[1] + sums[2]) / n.max(1.0));
        let per = |i: usize| sums[i] / self.band_count[i].max(1.0);
        self.env.low.push(per(0));
        self.env.mid.push(per(1));
        self.env.high.push(per(2));
    }

    /// The envelopes collected so far.
    pub fn envelope(&self) -> &OnsetEnvelope {
        &self.env
    }

    /// Take the envelopes.
    pub fn into_envelope(self) -> OnsetEnvelope {
        self.env
    }
}

/// Number of onsets: local maxima of the envelope that stand above its local mean by more
/// than half the envelope's standard deviation, at least 50 ms apart.
pub fn count_onsets(env: &OnsetEnvelope) -> usize {
    let x = &env.strength;
    let n = x.len();
    if n < 3 {
        return 0;
    }
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let thresh = 0.5 * var.sqrt();
    let half = (env.fps * 0.25).round().max(1.0) as usize;
    let min_gap = (env.fps * 0.05).round().max(1.0) as usize;
    let mut count = 0;
    let mut last: Option<usize> = None;
    for i in 1..n - 1 {
        if !(x[i] > x[i - 1] && x[i] >= x[i + 1]) {
            continue;
        }
        let a = i.saturating_sub(half);
        let b = (i + half + 1).min(n);
        let local = x[a..b].iter().map(|&v| f64::from(v)).sum::<f64>() / (b - a) as f64;
        if f64::from(x[i]) - local > thresh && last.is_none_or(|l| i - l >= min_gap) {
            count += 1;
            last = Some(i);
        }
    }
    count
}
