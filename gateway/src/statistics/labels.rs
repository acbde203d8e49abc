//! The released tables' row and column labels — the contract's enum names and the flows' measures — as Dutch
//! readers of the published figures read them, in the dashboard and in the yearly review alike.

/// A row or column label of a released table (the contract's enum names) in Dutch.
pub fn dutch(label: &str) -> String {
    let dutch = match label {
        "RESIDENTIAL_OUTFLOW" => "uitstroom uit residentiële zorg",
        "CUSTOM_RESIDENTIAL_CARE" => "maatwerk binnen residentiële zorg",
        "WAITING_LIST" => "wachtlijst",
        "SCHOOL_ABSENCE" => "thuiszitten / schoolverzuim",
        "MULTI_PROBLEM_FAMILY" => "multiprobleemgezin",
        "MENTAL_HEALTH_ADDICTION" => "ggz en verslaving",
        "MILD_INTELLECTUAL_DISABILITY" => "licht verstandelijke beperking",
        "FUNDING_DISPUTE" => "financieringsgeschil",
        "TRANSITION_TO_ADULTHOOD" => "overgang naar volwassenheid (18-/18+)",
        "OTHER" => "anders",
        "SOLVED" => "opgelost",
        "PARTLY_SOLVED" => "deels opgelost",
        "REFERRED_ON" => "doorverwezen",
        "ESCALATED" => "opgeschaald",
        "NO_FITTING_ANSWER" => "geen passend antwoord",
        "0_11" => "0-11 jaar",
        "12_15" => "12-15 jaar",
        "16_17" => "16-17 jaar",
        "18_23" => "18-23 jaar",
        "UNDER_4_WEEKS" => "korter dan 4 weken",
        "4_TO_12_WEEKS" => "4 tot 12 weken",
        "12_TO_26_WEEKS" => "12 tot 26 weken",
        "OVER_26_WEEKS" => "langer dan 26 weken",
        "COUNT" => "aantal",
        "submitted" => "casussen aangemeld",
        "returned" => "aanmeldingen teruggegeven",
        "discussed" => "casussen besproken",
        "escalated" => "opschalingen verstuurd",
        "sessions_held" => "tafelzittingen gehouden",
        "escalations_accepted" => "opschalingen aangenomen",
        "escalations_accepted_within_14_days" => "opschalingen aangenomen binnen 14 dagen",
        "consultations_asked" => "consultatievragen gesteld",
        "consultations_answered" => "consultatievragen beantwoord",
        "consultations_answered_within_7_days" => "consultatievragen beantwoord binnen 7 dagen",
        other => return other.to_lowercase().replace('_', " "),
    };
    dutch.to_owned()
}

#[cfg(test)]
mod tests {
    use super::dutch;
    use crate::statistics::tables::Table;

    #[test]
    fn every_label_of_every_table_has_dutch() {
        for table in Table::ALL {
            for label in table.row_labels().into_iter().chain(table.column_labels()) {
                assert_ne!(
                    dutch(label),
                    label.to_lowercase().replace('_', " "),
                    "{label}"
                );
            }
        }
    }
}
