#!/usr/bin/env python3
"""Lay and clinical names of 20 conditions (issue 22): does each name's top 3 over
MedQuAD share an article with the other's? A benchmark, not a test.

    k2search index --corpus ../shared/corpora/medquad --index /tmp/k2-medquad
    python3 bench/lay_clinical.py target/release/k2search /tmp/k2-medquad

The pairs were written before measuring; prefix completion is off so that only the
names' own words count.
"""
import json, subprocess, sys
k, idx = sys.argv[1], sys.argv[2]
pairs = [("heart attack","myocardial infarction"),("high blood pressure","hypertension"),
 ("undescended testicle","cryptorchidism"),("loss of bladder control","urinary incontinence"),
 ("tiredness","fatigue"),("nosebleed","epistaxis"),("hair loss","alopecia"),("hives","urticaria"),
 ("pink eye","conjunctivitis"),("cleft lip","orofacial cleft"),("clubfoot","talipes equinovarus"),
 ("short stature","dwarfism"),("double vision","diplopia"),("hearing loss","deafness"),
 ("crossed eyes","strabismus"),("lazy eye","amblyopia"),("bed wetting","enuresis"),
 ("fainting","syncope"),("ringing in the ears","tinnitus"),("heartburn","gastroesophageal reflux")]
def titles(q):
    out = subprocess.run([k,"query","--index",idx,"--json","--limit","3","--no-prefix",q],capture_output=True,text=True).stdout
    d = json.loads(out)
    return [h.get("title","") for h in d.get("hits",[])]
ok=0
for a,b in pairs:
    ta, tb = titles(a), titles(b)
    both = bool(set(ta) & set(tb))
    ok += both
    print(("OK " if both else "-- ")+f"{a!r}: {ta} | {b!r}: {tb}")
print(ok, "of", len(pairs), "pairs share an article in both top 3s")
