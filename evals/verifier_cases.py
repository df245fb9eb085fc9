"""Planted-contradiction corpus for the verifier: ``evals/data/synthetic/verifier_cases.jsonl``.

Hand-written handoff statements about the seven demo patients: correct ones and ones with a
planted error of a known kind (negation flip, wrong dose/route/frequency, stopped drug given
as current, ruled-out diagnosis given as active, a family member's disease given to the
patient, wrong temporality, wrong test value, an invented item). Each statement cites the
source line a summarizer would cite (an error usually cites the very line it distorts); a
few cite nothing, as a person's summary would. Quotes are resolved to offsets here, so the
JSONL always matches ``notes.jsonl``.

    python -m evals.verifier_cases build   # rewrite the JSONL
    python -m evals.verifier_cases check   # fail if it is stale

Some planted errors are hard on purpose (a switch written as "changed to", a stop written
only as "treated ... (7/9-7/11)"): the corpus is not fitted to the verifier's rules.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agent.errors import InputError
from agent.notes import read_notes
from agent.schemas.notes import Note

OUT = Path(__file__).parent / "data" / "synthetic" / "verifier_cases.jsonl"
NOTES = Path(__file__).parent / "data" / "synthetic" / "notes.jsonl"

C, U = "CONTRADICTED", "UNSUPPORTED"
# (kind, expected verdict, expected reason, section, statement, [(note_id, quote)...]).
# kind "correct" expects SUPPORTED.
_S = "SUPPORTED"
CASES: dict[str, list[tuple]] = {
    "P001": [
        ("correct", _S, None, "medications", "Furosemide 40 mg PO daily, increased from 20 mg.",
         [("P001-06", "Furosemide 40 mg PO daily (INCREASED")]),
        ("correct", _S, None, "medications",
         "Apixaban 5 mg by mouth twice daily for atrial fibrillation.",
         [("P001-06", "Apixaban 5 mg tablet")]),
        ("correct", _S, None, "medications", "Metoprolol succinate 100 mg PO daily.",
         [("P001-06", "Metoprolol succinate 100 mg PO daily")]),
        ("correct", _S, None, "medications",
         "Lisinopril resumed at 10 mg PO daily (decreased from 20 mg).",
         [("P001-06", "Lisinopril 10 mg PO daily (DECREASED")]),
        ("correct", _S, None, "active_problems",
         "New-onset atrial fibrillation, now rate controlled.",
         [("P001-06", "Atrial fibrillation, new onset")]),
        ("correct", _S, None, "patient_summary", "He was diuresed with furosemide 40 mg IV BID.",
         [("P001-06", "He was diuresed with furosemide")]),
        ("correct", _S, None, "active_problems",
         "AKI on CKD with Cr 1.9, likely from overdiuresis.",
         [("P001-05", "AKI on CKD - Cr 1.9")]),
        ("correct", _S, None, "allergies", "Allergic to enalapril (cough).",
         [("P001-06", "Allergies: enalapril (cough)")]),
        ("correct", _S, None, "patient_summary", "History of MI s/p PCI to the LAD in 2019.",
         [("P001-01", "h/o MI s/p PCI")]),
        ("correct", _S, None, "patient_summary", "His father died of an MI at 60.",
         [("P001-02", "Father died of MI at 60")]),
        ("correct", _S, None, "active_problems",
         "Acute gout flare of the right first MTP, treated with prednisone 30 mg PO daily.",
         [("P001-05", "Acute gout flare, R 1st MTP")]),
        ("correct", _S, None, "medications", "Aspirin was stopped once apixaban was started.",
         [("P001-05", "aspirin discontinued")]),
        ("correct", _S, None, "patient_summary",
         "Home medications on admission included aspirin 81 mg PO daily.",
         [("P001-02", "4. Aspirin 81 mg PO daily")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Furosemide 80 mg PO daily at discharge.",
         [("P001-06", "Furosemide 40 mg PO daily (INCREASED")]),
        ("wrong_route", C, "wrong_route", "medications", "Apixaban 5 mg IV twice daily.",
         [("P001-06", "Apixaban 5 mg tablet")]),
        ("wrong_frequency", C, "wrong_frequency", "medications",
         "Metoprolol succinate 100 mg PO BID.",
         [("P001-06", "Metoprolol succinate 100 mg PO daily")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Lisinopril resumed at 20 mg PO daily.",
         [("P001-06", "Lisinopril 10 mg PO daily (DECREASED")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue aspirin 81 mg PO daily.", [("P001-02", "4. Aspirin 81 mg PO daily")]),
        ("negation_flip", C, "negation_flip", "patient_summary", "He reports chest pain.",
         [("P001-01", "Denies CP, fever")]),
        ("negation_flip", C, "negation_flip", "patient_summary", "Exam notable for a murmur.",
         [("P001-01", "no murmur")]),
        ("wrong_temporality", C, "wrong_temporality", "active_problems",
         "History of atrial fibrillation on chronic anticoagulation.",
         [("P001-02", "#2 Afib with RVR, new onset")]),
        ("wrong_value", C, "wrong_value", "active_problems", "AKI on CKD with Cr 2.9.",
         [("P001-05", "AKI on CKD - Cr 1.9")]),
        ("invented", U, None, "medications", "Started warfarin 5 mg daily for stroke prevention.",
         [("P001-04", "start apixaban 5 mg PO BID")]),
        ("invented", U, None, "patient_summary", "Known COPD on home oxygen.", []),
        # Reasons for a change, checked against the notes' relations (wrong_reason).
        ("wrong_reason", C, "wrong_reason", "medications",
         "Metformin held because of hypoglycemia.",
         [("P001-05", "Metformin on hold (AKI).")]),
        ("correct", _S, None, "medications", "Metformin held for AKI.",
         [("P001-05", "Metformin on hold (AKI).")]),
    ],
    "P002": [
        ("correct", _S, None, "active_problems", "COPD with acute exacerbation.",
         [("P002-05", "Principal Diagnosis: COPD with acute exacerbation")]),
        ("correct", _S, None, "active_problems", "Right lower lobe pneumococcal pneumonia.",
         [("P002-05", "Secondary Diagnoses: Right lower lobe pneumococcal pneumonia")]),
        ("correct", _S, None, "patient_summary", "CTA chest was negative for pulmonary embolism.",
         [("P002-03", "Negative for pulmonary embolism.")]),
        ("correct", _S, None, "medications", "Cefpodoxime 200 mg PO q12h through 1/14.",
         [("P002-05", "Cefpodoxime 200 mg PO q12h")]),
        ("correct", _S, None, "medications",
         "Prednisone 40 mg PO daily to finish a 5-day course.",
         [("P002-04", "prednisone 40 mg PO daily to finish")]),
        ("correct", _S, None, "medications", "Nicotine 21 mg patch daily for tobacco use.",
         [("P002-05", "Nicotine 21 mg patch daily")]),
        ("correct", _S, None, "allergies", "Allergies: sulfa (rash) and codeine (nausea).",
         [("P002-02", "Allergies: Sulfa drugs (rash), codeine (nausea)")]),
        ("correct", _S, None, "patient_summary", "Her mother had emphysema.",
         [("P002-02", "Mother with emphysema")]),
        ("correct", _S, None, "pending", "Blood cultures from 1/8 pending, no growth to date.",
         [("P002-05", "Pending at discharge: blood cultures")]),
        ("correct", _S, None, "medications", "Tiotropium 18 mcg inhaled daily, continued.",
         [("P002-05", "Tiotropium 18 mcg inhaled daily")]),
        ("correct", _S, None, "patient_summary", "Denies leg swelling or orthopnea.",
         [("P002-02", "Denies leg swelling, orthopnea.")]),
        ("correct", _S, None, "medications",
         "Albuterol changed from scheduled nebs to q2h as needed for wheezing.",
         [("P002-04", "Changed from scheduled ipratropium-albuterol")]),
        ("ruled_out_as_active", C, "ruled_out_as_active", "active_problems",
         "Pulmonary embolism, on heparin.", [("P002-02", "4. r/o PE - CTA chest")]),
        ("wrong_experiencer", C, "wrong_experiencer", "patient_summary",
         "History of breast cancer diagnosed at 52.",
         [("P002-02", "sister with breast cancer at 52")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue azithromycin 500 mg IV daily.",
         [("P002-02", "azithromycin 500 mg IV daily")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Methylprednisolone 40 mg IV q12h is continued.",
         [("P002-02", "methylprednisolone 40 mg IV q12h")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Cefpodoxime 400 mg PO q12h.",
         [("P002-05", "Cefpodoxime 200 mg PO q12h")]),
        ("wrong_frequency", C, "wrong_frequency", "medications",
         "Fluticasone-salmeterol 250/50 one puff daily.",
         [("P002-05", "Fluticasone-salmeterol 250/50 1 puff BID")]),
        ("wrong_route", C, "wrong_route", "medications", "Ceftriaxone 1 g PO q24h for CAP.",
         [("P002-02", "ceftriaxone 1 g IV q24h")]),
        ("negation_flip", C, "negation_flip", "patient_summary", "She reports hemoptysis.",
         [("P002-01", "No hemoptysis, no CP")]),
        ("wrong_temporality", C, "wrong_temporality", "active_problems",
         "Ongoing hypercapnic respiratory failure.",
         [("P002-05", "acute on chronic hypercapnic respiratory failure, resolved")]),
        ("wrong_value", C, "wrong_value", "patient_summary", "WBC 27.8 on admission.",
         [("P002-01", "WBC 17.8 (88% PMN)")]),
        ("invented", U, None, "medications", "Started on apixaban for atrial fibrillation.", []),
        ("wrong_reason", C, "wrong_reason", "medications", "Steroids for hyperglycemia.",
         [("P002-04", "Steroid-induced hyperglycemia")]),
    ],
    "P003": [
        ("correct", _S, None, "patient_summary",
         "Severe diabetic ketoacidosis due to insulin pump failure.",
         [("P003-05", "Principal: Diabetic ketoacidosis, severe")]),
        ("correct", _S, None, "medications", "Ondansetron 4 mg ODT q8h as needed for nausea.",
         [("P003-05", "Ondansetron 4 mg ODT q8h")]),
        ("correct", _S, None, "medications", "Levothyroxine 75 mcg PO daily, continued.",
         [("P003-05", "Levothyroxine 75 mcg PO daily")]),
        ("correct", _S, None, "allergies", "Allergic to amoxicillin (hives).",
         [("P003-05", "Allergies: amoxicillin (hives)")]),
        ("correct", _S, None, "pending", "TTG IgA and total IgA pending at discharge.",
         [("P003-05", "Results pending at discharge: TTG IgA")]),
        ("correct", _S, None, "patient_summary", "Her mother has celiac disease.",
         [("P003-02", "FHx: Mother - Hashimoto's and celiac disease")]),
        ("correct", _S, None, "patient_summary", "AKI, resolved.",
         [("P003-05", "Secondary: Viral gastroenteritis; AKI, resolved")]),
        ("correct", _S, None, "active_problems", "Hashimoto's thyroiditis on levothyroxine.",
         [("P003-02", "- Hashimoto's thyroiditis")]),
        ("correct", _S, None, "patient_summary", "Initial VBG pH 7.08.",
         [("P003-01", "VBG pH 7.08")]),
        ("correct", _S, None, "patient_summary", "Denies fever, dysuria or chest pain.",
         [("P003-01", "Denies fever, dysuria, chest pain.")]),
        ("correct", _S, None, "medications",
         "Insulin glargine stopped at discharge; a pen is kept at home as backup.",
         [("P003-05", "Insulin glargine -- STOPPED")]),
        ("correct", _S, None, "patient_summary", "Viral gastroenteritis.",
         [("P003-05", "Secondary: Viral gastroenteritis")]),
        ("wrong_experiencer", C, "wrong_experiencer", "active_problems",
         "The patient has celiac disease.",
         [("P003-02", "FHx: Mother - Hashimoto's and celiac disease")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Levothyroxine 150 mcg PO daily.",
         [("P003-05", "Levothyroxine 75 mcg PO daily")]),
        ("wrong_frequency", C, "wrong_frequency", "medications",
         "Ondansetron 4 mg ODT q4h as needed for nausea.",
         [("P003-05", "Ondansetron 4 mg ODT q8h")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue insulin glargine 20 units SQ daily.",
         [("P003-03", "Give insulin glargine 20 units SQ now")]),
        ("wrong_value", C, "wrong_value", "patient_summary", "Admission glucose 286.",
         [("P003-01", "Labs: glucose 486")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "She presented with fever and dysuria.",
         [("P003-01", "Denies fever, dysuria, chest pain.")]),
        ("wrong_temporality", C, "wrong_temporality", "active_problems", "Active DKA.",
         [("P003-03", "1. DKA, resolved")]),
        ("invented", U, None, "patient_summary", "Chronic atrial fibrillation on warfarin.", []),
        ("wrong_dose", C, "wrong_dose", "patient_summary",
         "Insulin glargine 40 units SQ was given for the transition off the drip.",
         [("P003-03", "Give insulin glargine 20 units SQ now")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "Abdominal exam with rebound and guarding.",
         [("P003-01", "no rebound or guarding")]),
        ("invented", U, None, "medications", "Started metformin 500 mg PO BID.",
         [("P003-05", "4. Levothyroxine 75 mcg PO daily")]),
        ("correct", _S, None, "medications",
         "Norethindrone-ethinyl estradiol held while immobile because of VTE risk.",
         [("P003-02", "hold norethindrone-ethinyl estradiol while immobile")]),
    ],
    "P004": [
        ("correct", _S, None, "active_problems",
         "Upper GI bleed from a duodenal bulb ulcer, s/p endoscopic hemostasis.",
         [("P004-05", "1. Acute upper GI hemorrhage from a duodenal bulb ulcer")]),
        ("correct", _S, None, "medications",
         "Pantoprazole 40 mg PO BID for 8 weeks, then daily.",
         [("P004-05", "Pantoprazole 40 mg PO BID before meals")]),
        ("correct", _S, None, "medications",
         "Warfarin on hold until 4/11, then restart 3 mg daily.",
         [("P004-05", "Warfarin 3 mg -- HOLD until 4/11")]),
        ("correct", _S, None, "medications", "Aspirin stopped permanently.",
         [("P004-04", "aspirin stopped permanently")]),
        ("correct", _S, None, "medications", "Naproxen stopped; avoid all NSAIDs.",
         [("P004-05", "Naproxen -- avoid all NSAIDs")]),
        ("correct", _S, None, "medications",
         "Carbidopa-levodopa 25/100 1.5 tabs TID, time-critical.",
         [("P004-05", "Carbidopa-levodopa 25/100 1.5 tabs TID")]),
        ("correct", _S, None, "medications", "Acetaminophen 650 mg PO q6h PRN knee pain.",
         [("P004-05", "Acetaminophen 650 mg PO q6h PRN")]),
        ("correct", _S, None, "pending", "Gastric biopsy for H. pylori pending.",
         [("P004-05", "Pending at discharge: Gastric biopsy")]),
        ("correct", _S, None, "active_problems", "Persistent atrial fibrillation; CAD s/p CABG.",
         [("P004-05", "4. Persistent atrial fibrillation")]),
        ("correct", _S, None, "patient_summary", "INR 3.4 on presentation.",
         [("P004-05", "Hgb was 6.8 and INR 3.4")]),
        ("correct", _S, None, "medications", "Metoprolol tartrate 25 mg BID, continued.",
         [("P004-05", "Metoprolol tartrate 25 mg BID")]),
        ("correct", _S, None, "patient_summary", "Parkinson's disease.",
         [("P004-05", "Parkinson's disease; CAD")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue aspirin 81 mg daily for CAD.", [("P004-02", "- Aspirin 81 mg PO daily")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Naproxen 500 mg PO BID for osteoarthritis.",
         [("P004-02", "- Naproxen 500 mg PO BID")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Warfarin 5 mg daily to restart on 4/11.",
         [("P004-05", "Warfarin 3 mg -- HOLD until 4/11")]),
        ("wrong_frequency", C, "wrong_frequency", "medications", "Pantoprazole 40 mg PO TID.",
         [("P004-05", "Pantoprazole 40 mg PO BID before meals")]),
        ("wrong_route", C, "wrong_route", "medications",
         "Pantoprazole 40 mg IV BID at discharge.",
         [("P004-05", "Pantoprazole 40 mg PO BID before meals")]),
        ("wrong_experiencer", C, "wrong_experiencer", "active_problems",
         "The patient has ulcerative colitis.",
         [("P004-02", "daughter with ulcerative colitis")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "She reports chest pain and fever.",
         [("P004-02", "Negative for chest pain, fever, weight loss.")]),
        ("wrong_value", C, "wrong_value", "patient_summary", "INR 4.3 on presentation.",
         [("P004-05", "Hgb was 6.8 and INR 3.4")]),
        ("wrong_temporality", C, "wrong_temporality", "patient_summary",
         "History of upper GI hemorrhage.",
         [("P004-05", "1. Acute upper GI hemorrhage from a duodenal bulb ulcer")]),
        ("invented", U, None, "medications", "On insulin glargine for type 2 diabetes.", []),
        ("invented", U, None, "patient_summary", "Known chronic pancreatitis.", []),
        ("wrong_reason", C, "wrong_reason", "medications",
         "Aspirin was stopped because of a rash.",
         [("P004-05", "do not restart (ulcer")]),
    ],
    "P005": [
        ("correct", _S, None, "active_problems",
         "Septic shock due to E. coli bacteremia and right pyelonephritis (CAUTI).",
         [("P005-06", "Diagnoses: Septic shock due to E. coli bacteremia")]),
        ("correct", _S, None, "medications",
         "Ciprofloxacin 500 mg PO every 12 hours for 9 more days.",
         [("P005-06", "Ciprofloxacin 500 mg PO every 12 hours")]),
        ("correct", _S, None, "medications", "Vancomycin was stopped after 1 dose.",
         [("P005-06", "Vancomycin stopped after 1 dose")]),
        ("correct", _S, None, "medications", "Metformin decreased to 500 mg PO BID.",
         [("P005-06", "Metformin 500 mg PO BID -- DOSE DECREASED")]),
        ("correct", _S, None, "medications",
         "Lisinopril on hold until the PCP rechecks kidney function.",
         [("P005-06", "Lisinopril 10 mg -- HOLD until PCP")]),
        ("correct", _S, None, "medications", "Tamsulosin 0.4 mg PO at bedtime, continued.",
         [("P005-06", "Tamsulosin 0.4 mg PO at bedtime")]),
        ("correct", _S, None, "allergies", "Penicillin allergy (rash), low risk.",
         [("P005-06", "Allergies: Penicillin (rash")]),
        ("correct", _S, None, "patient_summary", "Father and brother had prostate cancer.",
         [("P005-02", "Family: Prostate cancer in father and brother.")]),
        ("correct", _S, None, "pending", "Final repeat blood culture from 5/12 is pending.",
         [("P005-06", "Pending: final repeat blood culture")]),
        ("correct", _S, None, "active_problems", "Acute metabolic encephalopathy, resolved.",
         [("P005-06", "acute metabolic encephalopathy, resolved")]),
        ("correct", _S, None, "patient_summary",
         "Cefepime was de-escalated to ceftriaxone 2 g IV q24h on 5/11.",
         [("P005-04", "De-escalate cefepime to ceftriaxone 2 g IV q24h")]),
        ("correct", _S, None, "active_problems", "BPH with chronic urinary retention.",
         [("P005-06", "BPH with chronic urinary retention")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue vancomycin, pharmacy to dose.",
         [("P005-02", "continue vancomycin (pharmacy to dose)")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Insulin glargine 10 units qHS.", [("P005-05", "insulin glargine 10 units qHS added")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Ciprofloxacin 750 mg PO q12h.",
         [("P005-06", "Ciprofloxacin 500 mg PO every 12 hours")]),
        ("wrong_frequency", C, "wrong_frequency", "medications",
         "Ciprofloxacin 500 mg PO daily for 9 more days.",
         [("P005-06", "Ciprofloxacin 500 mg PO every 12 hours")]),
        ("wrong_route", C, "wrong_route", "medications", "Tamsulosin 0.4 mg IV at bedtime.",
         [("P005-06", "Tamsulosin 0.4 mg PO at bedtime")]),
        ("wrong_experiencer", C, "wrong_experiencer", "active_problems",
         "The patient has prostate cancer.",
         [("P005-02", "Family: Prostate cancer in father and brother.")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "CT showed right pyelonephritis with obstruction.",
         [("P005-06", "CT A/P (non-contrast) showed right pyelonephritis")]),
        ("wrong_temporality", C, "wrong_temporality", "active_problems",
         "Ongoing acute metabolic encephalopathy.",
         [("P005-06", "acute metabolic encephalopathy, resolved")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Metformin 1000 mg PO BID at discharge.",
         [("P005-06", "Metformin 500 mg PO BID -- DOSE DECREASED")]),
        ("invented", U, None, "medications", "Started on amiodarone for atrial fibrillation.", []),
        ("invented", U, None, "patient_summary", "History of stroke with residual hemiparesis.",
         []),
        ("wrong_reason", C, "wrong_reason", "medications",
         "Tamsulosin held because of urinary retention.",
         [("P005-02", "hold tamsulosin while hypotensive")]),
        ("correct", _S, None, "medications", "Tamsulosin held while hypotensive.",
         [("P005-02", "hold tamsulosin while hypotensive")]),
    ],
    "P006": [
        ("correct", _S, None, "active_problems",
         "Acute ischemic stroke in the left MCA territory, embolic pattern.",
         [("P006-05", "1. Acute ischemic stroke, left MCA territory")]),
        ("correct", _S, None, "medications", "Clopidogrel 75 mg PO daily, new, long term.",
         [("P006-05", "Clopidogrel 75 mg PO daily -- NEW")]),
        ("correct", _S, None, "medications", "Aspirin 81 mg PO daily through the 7/12 dose.",
         [("P006-05", "Aspirin 81 mg PO daily -- STOP after")]),
        ("correct", _S, None, "medications", "Atorvastatin increased to 80 mg PO nightly.",
         [("P006-05", "Atorvastatin 80 mg PO nightly")]),
        ("correct", _S, None, "medications", "Lisinopril 10 mg PO daily, new.",
         [("P006-05", "Lisinopril 10 mg PO daily -- NEW")]),
        ("correct", _S, None, "active_problems",
         "Newly diagnosed type 2 diabetes; started metformin 500 mg PO BID.",
         [("P006-04", "Type 2 diabetes, new diagnosis")]),
        ("correct", _S, None, "patient_summary", "His mother had a stroke at 70.",
         [("P006-02", "Mother had a stroke at 70")]),
        ("correct", _S, None, "patient_summary",
         "44 h of telemetry showed no atrial fibrillation.",
         [("P006-04", "Telemetry 44 h: sinus rhythm, no atrial fibrillation.")]),
        ("correct", _S, None, "pending", "Lipoprotein(a) pending.",
         [("P006-05", "Pending results: lipoprotein(a)")]),
        ("correct", _S, None, "patient_summary", "MRI showed no hemorrhage.",
         [("P006-03", "2. No hemorrhage.")]),
        ("correct", _S, None, "active_problems", "Obstructive sleep apnea.",
         [("P006-05", "5. Obstructive sleep apnea")]),
        ("correct", _S, None, "medications", "Amlodipine 10 mg PO daily, continued.",
         [("P006-05", "Amlodipine 10 mg PO daily -- continue")]),
        ("wrong_temporality", C, "wrong_temporality", "patient_summary",
         "Long history of type 2 diabetes.",
         [("P006-05", "3. Type 2 diabetes mellitus, newly diagnosed")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Atorvastatin 40 mg PO nightly.",
         [("P006-05", "Atorvastatin 80 mg PO nightly")]),
        ("wrong_frequency", C, "wrong_frequency", "medications", "Clopidogrel 75 mg PO BID.",
         [("P006-05", "Clopidogrel 75 mg PO daily -- NEW")]),
        ("wrong_route", C, "wrong_route", "medications", "Lisinopril 10 mg IV daily.",
         [("P006-05", "Lisinopril 10 mg PO daily -- NEW")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "MRI showed hemorrhagic transformation.",
         [("P006-03", "No hemorrhagic transformation on SWI.")]),
        ("negation_flip", C, "negation_flip", "patient_summary",
         "Telemetry showed atrial fibrillation.",
         [("P006-04", "Telemetry 44 h: sinus rhythm, no atrial fibrillation.")]),
        ("wrong_experiencer", C, "wrong_experiencer", "active_problems",
         "The patient has coronary artery disease.",
         [("P006-02", "father with CAD and DM2")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue hydrochlorothiazide for hypertension.",
         [("P006-02", "Previously on hydrochlorothiazide, stopped 2023")]),
        ("wrong_value", C, "wrong_value", "active_problems", "Type 2 diabetes with A1c 9.6%.",
         [("P006-04", "Type 2 diabetes, new diagnosis (A1c 6.9%)")]),
        ("invented", U, None, "medications", "Started apixaban for atrial fibrillation.", []),
        ("negation_flip", C, "negation_flip", "patient_summary", "Alteplase was given in the ED.",
         []),
        ("wrong_reason", C, "wrong_reason", "patient_summary",
         "Hydrochlorothiazide was stopped in 2023 because of hypokalemia.",
         [("P006-02", "stopped 2023 for hyponatremia")]),
    ],
    "P007": [
        ("correct", _S, None, "active_problems",
         "Nonpurulent cellulitis of the left lower extremity with SIRS, improving.",
         [("P007-05", "Nonpurulent cellulitis of left lower extremity")]),
        ("correct", _S, None, "medications", "Clindamycin 450 mg PO every 8 hours through 7/16.",
         [("P007-05", "Clindamycin 450 mg by mouth every 8 hours")]),
        ("correct", _S, None, "medications",
         "Terbinafine 1% cream topically twice daily between the toes.",
         [("P007-05", "Terbinafine 1% cream topically twice daily")]),
        ("correct", _S, None, "medications", "Insulin glargine 14 units SQ at bedtime, new.",
         [("P007-05", "inject 14 units under the skin at bedtime")]),
        ("correct", _S, None, "medications", "Adalimumab on hold until antibiotics are finished.",
         [("P007-05", "Adalimumab 40 mg SQ -- HOLD")]),
        ("correct", _S, None, "medications", "Empagliflozin held; PCP to decide at follow-up.",
         [("P007-05", "Empagliflozin 10 mg -- HOLD")]),
        ("correct", _S, None, "patient_summary", "DVT ruled out by venous duplex.",
         [("P007-04", "DVT ruled out by duplex")]),
        ("correct", _S, None, "allergies", "Allergies: penicillin (anaphylaxis), sulfa (rash).",
         [("P007-05", "Allergies: Penicillin (anaphylaxis)")]),
        ("correct", _S, None, "patient_summary", "His mother had breast cancer.",
         [("P007-02", "Mother with breast cancer")]),
        ("correct", _S, None, "active_problems", "Crohn's disease in remission.",
         [("P007-05", "Crohn's disease in remission")]),
        ("correct", _S, None, "medications", "Metformin 1000 mg PO BID, continued.",
         [("P007-05", "Metformin 1000 mg PO BID -- continue")]),
        ("correct", _S, None, "active_problems", "Uncontrolled type 2 diabetes, A1c 9.8%.",
         [("P007-04", "DM2, uncontrolled (A1c 9.8%)")]),
        ("ruled_out_as_active", C, "ruled_out_as_active", "active_problems",
         "Left leg DVT, on enoxaparin.", [("P007-02", "#r/o DVT: venous duplex tonight")]),
        ("stopped_drug_as_current", C, "stopped_drug_as_current", "medications",
         "Continue vancomycin 1,250 mg IV q12h.",
         [("P007-04", "vancomycin 1,250 mg IV q12h")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Clindamycin 300 mg PO q8h.",
         [("P007-05", "Clindamycin 450 mg by mouth every 8 hours")]),
        ("wrong_frequency", C, "wrong_frequency", "medications", "Clindamycin 450 mg PO q6h.",
         [("P007-05", "Clindamycin 450 mg by mouth every 8 hours")]),
        ("wrong_route", C, "wrong_route", "medications",
         "Terbinafine 1% by mouth twice daily between the toes.",
         [("P007-05", "Terbinafine 1% cream topically twice daily")]),
        ("wrong_experiencer", C, "wrong_experiencer", "active_problems",
         "The patient has ulcerative colitis.",
         [("P007-02", "Sister with ulcerative colitis")]),
        ("negation_flip", C, "negation_flip", "patient_summary", "Exam showed foot ulcers.",
         [("P007-02", "No ulcers.")]),
        ("wrong_value", C, "wrong_value", "active_problems", "Type 2 diabetes with A1c 7.8%.",
         [("P007-04", "DM2, uncontrolled (A1c 9.8%)")]),
        ("wrong_dose", C, "wrong_dose", "medications", "Insulin glargine 24 units at bedtime.",
         [("P007-05", "inject 14 units under the skin at bedtime")]),
        ("invented", U, None, "patient_summary", "History of hepatitis C.", []),
        ("negation_flip", C, "negation_flip", "patient_summary", "Abscess seen on POCUS.",
         [("P007-05", "no abscess on POCUS")]),
        ("wrong_temporality", C, "wrong_temporality", "active_problems",
         "Crohn's disease with an active flare.",
         [("P007-05", "Crohn's disease in remission")]),
        ("wrong_reason", C, "wrong_reason", "medications",
         "Empagliflozin held because of cellulitis.",
         [("P007-02", "hold empagliflozin (acute illness")]),
        ("wrong_reason", C, "wrong_reason", "medications",
         "Adalimumab held because of Crohn's disease.",
         [("P007-02", "hold adalimumab during active infection")]),
        ("correct", _S, None, "medications", "Adalimumab held during active infection.",
         [("P007-02", "hold adalimumab during active infection")]),
    ],
}


def _line_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The cited span: the quote's line, or its sentence when the line is long prose."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    right = len(text) if right == -1 else right
    if right - left > 220:
        dot = text.rfind(". ", left, start)
        left = dot + 2 if dot != -1 else left
        nxt = text.find(". ", end, right)
        right = nxt + 1 if nxt != -1 else right
    while left < start and text[left] in " -*\t":
        left += 1
    return left, right


def build_cases(notes: dict[str, Note]) -> list[dict]:
    """Resolve every case's quotes to citations.

    Raises:
        InputError: a quote is not found in its note (the corpus is stale).
    """
    rows = []
    for patient, cases in CASES.items():
        for i, (kind, verdict, reason, section, statement, quotes) in enumerate(cases):
            citations = []
            for note_id, quote in quotes:
                note = notes.get(note_id)
                pos = -1 if note is None else note.text.find(quote)
                if pos == -1:
                    raise InputError(str(OUT), f"quote of case {patient}#{i} not found in "
                                     f"note {note_id}", fix="Edit CASES in evals/verifier_cases.py")
                start, end = _line_span(note.text, pos, pos + len(quote))
                citations.append({"note_id": note_id, "start": start, "end": end,
                                  "quote": quote})
            rows.append({"case_id": f"{patient}-{i:02d}", "patient_id": patient, "kind": kind,
                         "is_error": kind != "correct", "expected_verdict": verdict,
                         "expected_reason": reason, "section": section,
                         "statement": statement, "citations": citations})
    return rows


def load_cases(path: Path = OUT) -> list[dict]:
    """The planted-contradiction cases (one dict per JSONL line)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    """``build`` rewrites the JSONL; ``check`` exits 1 when it is stale."""
    args = sys.argv[1:] if argv is None else argv
    notes = {n.note_id: n for n in read_notes(NOTES).notes}
    rendered = _render(build_cases(notes))
    if args[:1] == ["check"]:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != rendered
        sys.stderr.write(f"{OUT}: {'stale' if stale else 'up to date'}\n")
        return 1 if stale else 0
    OUT.write_text(rendered, encoding="utf-8")
    sys.stderr.write(f"wrote {rendered.count(chr(10))} cases to {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
