# Builds reference-layout artifacts with Python's hmac/json/pickle, independently
# of the Go code, and the stdout the reference `recotem inspect` prints for them.
# Run: python3 gen_reference.py   (writes the files next to this script)
import hashlib, hmac, json, pickle, struct

KEY = bytes.fromhex("11" * 32)

def seal(kid, header, payload):
    kb = kid.encode()
    mac = hmac.new(KEY, kb + header + payload, hashlib.sha256).digest()
    return (b"RECOTEM\x00" + struct.pack("<HHB", 1, 0, len(kb)) + kb + mac
            + struct.pack("<I", len(header)) + header + payload)

header = {
    "recipe_name": "référence",
    "recipe_hash": "e57c115d" + "0" * 48 + "58067140",
    "recotem_version": "2.1.0.dev0",
    "irspack_version": "0.4.0",
    "trained_at": "2026-05-01T12:34:56Z",
    "best_class": "IALSRecommender",
    "best_params": {"n_components": 64, "alpha0": 0.1, "reg": 1e-05, "train_epochs": 16,
                    "big": 12345678901234567890123, "scale": 1e16, "exact": 100.0, "neg": -0.0},
    "best_score": 0.123456789012345,
    "metric": "ndcg",
    "cutoff": 20,
    "tuning": {"tried_algorithms": ["IALSRecommender", "TopPopRecommender"], "n_trials": 40,
               "n_completed": 40, "n_orphaned": 0, "best_trial_number": 7, "search_seed": 42},
    "data_stats": {"n_rows": 1000, "n_users": 100, "n_items": 50, "drop_count": 3,
                   "dedup_policy": "keep_last"},
    "extra": {"nan": float("nan"), "inf": float("inf"), "empty_list": [], "empty_obj": {},
              "text": "tab\there \"quoted\" \\ / <&> \u007f \U0001F600 \x01", "null": None, "t": True},
}
hb = json.dumps(header, separators=(",", ":")).encode()
payload = pickle.dumps({"model": "opaque", "factors": [0.5] * 8}, protocol=4)
with open("reference-pickle.recotem", "wb") as f:
    f.write(seal("active", hb, payload))
with open("reference-pickle.inspect.golden", "w") as f:
    f.write("HMAC: OK  (kid='active')\n" + json.dumps(json.loads(hb), indent=2) + "\n")
